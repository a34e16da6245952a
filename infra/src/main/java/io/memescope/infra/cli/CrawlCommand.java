package io.memescope.infra.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Unmatched;

/** {@code memescope crawl}: runs {@code io.memescope.crawler.CrawlMain} in its own process. */
@Command(
    name = "crawl",
    description = {
      "Crawl one source once into the running stack, with a progress bar: memescope crawl SOURCE"
          + " [--max-pages N]. `memescope crawl --help` for details."
    })
final class CrawlCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    return ModuleLauncher.run(parent, "crawler", "io.memescope.crawler.CrawlMain", "crawl", args);
  }
}
