package io.memescope.core.progress;

import java.util.function.Consumer;

/**
 * Progress printed as lines where there is no console (a pipe, a log, CI): passes each line on,
 * stripped, unless it is the line passed just before. A progress bar's last refresh and its close
 * often render the same text, which was printed twice until 2026-12-06.
 */
public final class DistinctLines implements Consumer<String> {
  private final Consumer<String> out;
  private String last;

  public DistinctLines(Consumer<String> out) {
    this.out = out;
  }

  @Override
  public synchronized void accept(String line) {
    String stripped = line.strip();
    if (!stripped.equals(last)) {
      last = stripped;
      out.accept(stripped);
    }
  }
}
