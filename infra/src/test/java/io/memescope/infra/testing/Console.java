package io.memescope.infra.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/** Runs a command-line entry point in this JVM and keeps what it printed. */
public final class Console {
  private Console() {}

  /** An exit code and what was printed on standard output and standard error. */
  public record Outcome(int code, String out, String err) {}

  /** Runs {@code command} (returning its exit code) with System.out and System.err captured. */
  public static Outcome capture(IntSupplier command) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    try {
      int code = command.getAsInt();
      return new Outcome(
          code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
