package io.memescope.infra.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Unmatched;

/** {@code memescope sources}: runs {@code io.memescope.crawler.SourcesMain} in its own process. */
@Command(
    name = "sources",
    description = {
      "List, add or remove crawl sources at run time: memescope sources list | add ID TYPE"
          + " LOCATION [options] | remove ID. `memescope sources --help` for details."
    })
final class SourcesCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    return ModuleLauncher.run(
        parent, "crawler", "io.memescope.crawler.SourcesMain", "sources", args);
  }
}
