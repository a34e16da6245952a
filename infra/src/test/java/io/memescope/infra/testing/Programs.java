package io.memescope.infra.testing;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the programs integration tests drive (npm, node): their output in the test's report. */
public final class Programs {
  private Programs() {}

  /**
   * Runs {@code command} to completion within {@code limit}; it must exit 0, else an {@link
   * AssertionError} carries its output. Its output goes to {@code System.out} as it comes (surefire
   * keeps it with the test), and its stdin is closed: surefire talks to the test JVM over the JVM's
   * stdin, and node switches an inherited stdin to non-blocking mode, which corrupts that channel.
   */
  public static void run(List<String> command, Duration limit) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    StringBuilder output = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              // A reader, not byte chunks: a character split between two reads stays whole.
              try (Reader in = new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)) {
                char[] buf = new char[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                  String s = new String(buf, 0, n);
                  System.out.print(s);
                  synchronized (output) {
                    output.append(s);
                  }
                }
              } catch (IOException e) {
                // the process is gone
              }
            },
            "output of " + command.get(0));
    reader.setDaemon(true);
    reader.start();
    if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      // Its children too: npm's node, node's Chromium.
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      reader.join(5000);
      throw new AssertionError(command + " took longer than " + limit + "\n" + tail(output));
    }
    reader.join(5000);
    if (p.exitValue() != 0) {
      throw new AssertionError(
          String.join(" ", command) + " exited " + p.exitValue() + "\n" + tail(output));
    }
  }

  private static String tail(StringBuilder output) {
    synchronized (output) {
      return output.length() <= 20_000
          ? output.toString()
          : "…" + output.substring(output.length() - 20_000);
    }
  }
}
