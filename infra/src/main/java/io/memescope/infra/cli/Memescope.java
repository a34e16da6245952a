package io.memescope.infra.cli;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.InvalidConfigException;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.model.ModelFormatException;
import io.memescope.core.schema.SchemaException;
import io.memescope.infra.stack.StackException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code memescope} command line. */
@Command(
    name = "memescope",
    mixinStandardHelpOptions = true,
    version = "memescope 0.1.0",
    description = "A live, self-curating semantic index of memes and other images.",
    subcommands = {
      UpCommand.class,
      DownCommand.class,
      StatusCommand.class,
      LogsCommand.class,
      ConfigCommand.class,
      EmbedCommand.class,
      CrawlCommand.class,
      SourcesCommand.class,
      IngestCommand.class,
      ModelCommand.class,
      TrainCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Memescope {
  static final String DEFAULT_CONFIG_FILE = ConfigLoader.DEFAULT_FILE;

  @Option(
      names = "--config",
      scope = ScopeType.INHERIT,
      paramLabel = "FILE",
      description = "Settings file (HOCON). Default: ./memescope.conf when it exists.")
  Path configFile;

  @Option(
      names = "--home",
      scope = ScopeType.INHERIT,
      paramLabel = "DIR",
      description = "Directory of the local stack's data, logs and pid files (setting `home`).")
  Path home;

  @Option(
      names = "--set",
      scope = ScopeType.INHERIT,
      paramLabel = "KEY=VALUE",
      description = "Override one setting, e.g. --set kafka.port=19092. Repeatable.")
  Map<String, String> overrides = new LinkedHashMap<>();

  /** The configuration, loaded once per run from the file, the environment and the options. */
  MemescopeConfig config() {
    return loader().load();
  }

  ConfigLoader loader() {
    return ConfigLoader.forCommandLine(configFile, home, overrides);
  }

  public static void main(String[] args) {
    // Initialise logging before the parallel starts do, or SLF4J replays their calls noisily.
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(run(args));
  }

  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Memescope());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof StackException
              || e instanceof InvalidConfigException
              || e instanceof SchemaException
              || e instanceof ModelFormatException) {
            commandLine.getErr().println("memescope: " + e.getMessage());
            return 1;
          }
          if (e instanceof io.memescope.infra.flink.FlinkRestClient.FlinkRestException f) {
            // Flink's own error is a whole Java stack trace in JSON; the cause is at its end.
            commandLine.getErr().println("memescope: " + f.brief());
            return 1;
          }
          if (e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException) {
            // A file the stack cannot write (a home once used with sudo, a full disk): one line
            // with the reason, not a stack trace.
            commandLine
                .getErr()
                .println("memescope: " + io.memescope.infra.stack.IoErrors.describe(e));
            return 1;
          }
          throw e;
        });
    return cli.execute(args);
  }
}
