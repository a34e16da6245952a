package io.memescope.infra.cli;

import io.memescope.infra.stack.LocalStack;
import io.memescope.infra.stack.Service;
import io.memescope.infra.stack.StackException;
import io.memescope.infra.stack.StackLayout;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Print the end of a service's log file.")
final class LogsCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Parameters(
      paramLabel = "SERVICE",
      description = "e.g. kafka, cassandra, milvus, flink-jobmanager")
  String service;

  @Option(
      names = {"-n", "--lines"},
      defaultValue = "100",
      description = "Lines to print, 0 for none (default: ${DEFAULT-VALUE}).")
  int lines;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing what is appended, until Ctrl+C.")
  boolean follow;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (lines < 0) {
      throw new StackException("logs: --lines must be 0 or more, not " + lines);
    }
    Service s = new LocalStack(parent.config()).service(service);
    Path log = s.logFile();
    if (!Files.exists(log)) {
      throw new StackException(service + ": no log yet at " + StackLayout.show(log));
    }
    Deque<String> tail = new ArrayDeque<>();
    try (Stream<String> all = Files.lines(log, StandardCharsets.UTF_8)) {
      all.forEach(
          line -> {
            tail.addLast(line);
            if (tail.size() > lines) {
              tail.removeFirst();
            }
          });
    }
    tail.forEach(System.out::println);
    if (follow) {
      follow(log);
    }
    return 0;
  }

  private static void follow(Path log) throws IOException, InterruptedException {
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long position = file.length();
      while (true) {
        long length = file.length();
        if (length < position) {
          position = 0; // truncated
        }
        if (length > position) {
          file.seek(position);
          byte[] chunk = new byte[(int) (length - position)];
          file.readFully(chunk);
          System.out.print(new String(chunk, StandardCharsets.UTF_8));
          System.out.flush();
          position = length;
        }
        Thread.sleep(500);
      }
    }
  }
}
