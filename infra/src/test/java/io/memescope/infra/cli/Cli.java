package io.memescope.infra.cli;

import io.memescope.infra.testing.Console;
import io.memescope.infra.testing.Console.Outcome;
import java.nio.file.Path;

/** Runs {@code memescope} in this JVM against a home of the test's own. */
final class Cli {
  private Cli() {}

  /** {@code memescope --home <home> <args>}: its exit code and what it printed. */
  static Outcome run(Path home, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--home";
    all[1] = home.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return Console.capture(() -> Memescope.run(all));
  }
}
