package io.memescope.infra.cli;

import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.stack.StackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Unmatched;

/**
 * Runs the crawler (module crawler) in a process of its own, with the CLI's settings: the crawler
 * has its own classpath, as every application process of the stack does.
 */
@Command(
    name = "crawl",
    description = {
      "Crawl one configured source once into the running stack: memescope crawl SOURCE"
          + " [--max-pages N]. `memescope crawl --help` for details."
    })
final class CrawlCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path root = Runtimes.root();
    Path classpath = root.resolve("crawler/target/classpath.txt");
    if (!Files.isRegularFile(classpath)) {
      throw new StackException(
          "crawl: the crawler is not built; run ./memescope (it builds) or mvn package");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dmemescope.root=" + root);
    command.add("-cp");
    command.add(root.resolve("crawler/target/classes") + ":" + Files.readString(classpath).strip());
    command.add("io.memescope.crawler.CrawlMain");
    command.addAll(args);
    if (parent.configFile != null) {
      command.addAll(List.of("--config", parent.configFile.toString()));
    }
    if (parent.home != null) {
      command.addAll(List.of("--home", parent.home.toString()));
    }
    parent.overrides.forEach((k, v) -> command.addAll(List.of("--set", k + "=" + v)));
    return new ProcessBuilder(command).inheritIO().start().waitFor();
  }
}
