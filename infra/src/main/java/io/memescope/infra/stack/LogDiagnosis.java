package io.memescope.infra.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Picks the line of a service's log that best says why it stopped. */
final class LogDiagnosis {
  private static final Pattern ERROR =
      Pattern.compile("\\b(ERROR|FATAL|Exception|Error:|error:)\\b|Traceback|Caused by");
  private static final int MAX = 300;

  private LogDiagnosis() {}

  /** The last error-looking line written since the last start marker, or the last line. */
  static String lastError(Path log) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "no log";
    }
    int start = 0;
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith("---- memescope: starting")) {
        start = i + 1;
        break;
      }
    }
    List<String> run = lines.subList(start, lines.size());
    String best = null;
    for (String line : run) {
      if (ERROR.matcher(line).find() && !line.strip().startsWith("at ")) {
        best = line; // keep the last one: the root cause is usually printed last
      }
    }
    if (best == null) {
      best = run.isEmpty() ? "no output" : run.get(run.size() - 1);
    }
    best = best.strip();
    return best.length() > MAX ? best.substring(0, MAX) + "…" : best;
  }
}
