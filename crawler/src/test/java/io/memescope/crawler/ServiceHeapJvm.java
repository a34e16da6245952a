package io.memescope.crawler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A class's {@code main} run in a JVM of its own with the crawler service's heap (256 MB, serial
 * GC) and this test's class path: how the parsing tests see whether documents fit that heap.
 */
public final class ServiceHeapJvm {
  /** How the run went: whether it ended in time, its exit value, and what it printed. */
  public record Run(boolean ended, int exitValue, String said, String errors) {
    /** Standard output and error together, for assertion messages. */
    public String out() {
      return said + errors;
    }
  }

  private ServiceHeapJvm() {}

  /**
   * Runs {@code main} with {@code args}, its output kept in {@code dir}; killed after {@code
   * timeout}.
   */
  public static Run run(Path dir, Duration timeout, Class<?> main, String... args)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElseThrow();
    Path said = dir.resolve("said.txt");
    Path errors = dir.resolve("errors.txt");
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(said.toFile()).redirectError(errors.toFile());
    // Options the environment may carry would replace the heap given here.
    builder
        .environment()
        .keySet()
        .removeAll(List.of("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"));
    Process p = builder.start();
    boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!ended) {
      p.destroyForcibly().waitFor();
    }
    return new Run(ended, p.exitValue(), Files.readString(said), Files.readString(errors));
  }
}
