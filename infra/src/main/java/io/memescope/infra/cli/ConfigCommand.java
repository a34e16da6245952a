package io.memescope.infra.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.memescope.core.config.ConfigLoader;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = {
      "Validate and print the effective settings (defaults merged with the file, the environment"
          + " and --set).",
      "Exit code 1 with every bad key named when the settings are invalid."
    })
final class ConfigCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Option(names = "--origins", description = "Say where each value comes from.")
  boolean origins;

  @Option(names = "--env", description = "List the environment variable that overrides each key.")
  boolean env;

  @Override
  public Integer call() {
    Config merged = parent.loader().merged();
    parent.config(); // typed validation as well
    if (env) {
      merged.entrySet().stream()
          .map(Map.Entry::getKey)
          .sorted()
          .forEach(k -> System.out.println(ConfigLoader.envName(k) + "  ->  " + k));
      return 0;
    }
    System.out.println(
        merged
            .root()
            .render(ConfigRenderOptions.defaults().setOriginComments(origins).setJson(false)));
    return 0;
  }
}
