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
import java.util.List;
import java.util.concurrent.Callable;
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
    lastLines(log, lines).forEach(System.out::println);
    if (follow) {
      follow(log);
    }
    return 0;
  }

  /**
   * The last {@code n} lines of {@code log}, read from its end (not the whole file, which grows for
   * as long as the stack runs), bytes that are not UTF-8 shown as U+FFFD: until 2026-12-07 one such
   * byte anywhere in the log made the command fail with "Input length = 1".
   */
  static List<String> lastLines(Path log, int n) throws IOException {
    if (n == 0) {
      return List.of();
    }
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long end = file.length();
      long start = 0;
      long position = end;
      int newlines = 0;
      byte[] chunk = new byte[64 * 1024];
      search:
      while (position > 0) {
        int length = (int) Math.min(chunk.length, position);
        position -= length;
        file.seek(position);
        file.readFully(chunk, 0, length);
        for (int i = length - 1; i >= 0; i--) {
          // A newline ends the line before it; the one ending the file starts no line after it.
          if (chunk[i] == '\n' && position + i != end - 1 && ++newlines == n) {
            start = position + i + 1;
            break search;
          }
        }
      }
      start = Math.max(start, end - (Integer.MAX_VALUE - 16)); // at most one array's worth
      byte[] text = new byte[(int) (end - start)];
      file.seek(start);
      file.readFully(text);
      List<String> all = new String(text, StandardCharsets.UTF_8).lines().toList();
      return all.subList(Math.max(0, all.size() - n), all.size());
    }
  }

  private static void follow(Path log) throws IOException, InterruptedException {
    long position = Files.size(log);
    while (true) {
      try {
        position = followOnce(log, position);
      } catch (java.io.FileNotFoundException e) {
        Thread.sleep(500); // set aside, the new one not made yet
      }
    }
  }

  /**
   * Prints what {@code log} gains from {@code position} on, until the file at its path is another
   * (set aside at a restart past 64 MiB: the new log is then followed from its start).
   */
  private static long followOnce(Path log, long position) throws IOException, InterruptedException {
    Object key = fileKey(log);
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      while (true) {
        boolean rotated = !java.util.Objects.equals(key, fileKey(log));
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
        if (rotated) {
          return 0; // the old file read to its end: the new one from its start
        }
        Thread.sleep(500);
      }
    }
  }

  private static Object fileKey(Path log) {
    try {
      return Files.readAttributes(log, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null; // between the move and the new file
    }
  }
}
