package io.memescope.infra.cli;

import java.time.Duration;

/** Progress lines on the terminal: one line per step, prefixed with the service. */
final class Console {
  private Console() {}

  static synchronized void step(String service, String message) {
    System.out.printf("  %-18s %s%n", service, message);
    System.out.flush();
  }

  static synchronized void line(String message) {
    System.out.println(message);
    System.out.flush();
  }

  static String seconds(Duration d) {
    return String.format("%.1fs", d.toMillis() / 1000.0);
  }
}
