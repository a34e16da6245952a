package io.memescope.flink.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time by process tree, from /proc (Linux): for the ingest benchmark, which share of the
 * machine's CPU each service of the stack (with its child processes) and the benchmark itself
 * spent. Ticks are USER_HZ (100 per second).
 */
final class ProcessCpu {
  private final Map<String, Long> roots;
  private final Map<String, Long> start;

  /**
   * @param roots a name for each root process id, e.g. "flink-taskmanager-0" to its pid
   */
  ProcessCpu(Map<String, Long> roots) {
    this.roots = roots;
    this.start = ticks(roots);
  }

  /** The services' root processes, from the stack's pid files ({@code run/NAME.pid}). */
  static Map<String, Long> stackProcesses(Path home) throws IOException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(home.resolve("run"))) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".pid")) {
          try {
            out.put(
                name.substring(0, name.length() - 4), Long.parseLong(Files.readString(f).strip()));
          } catch (NumberFormatException e) {
            // not a pid file of ours
          }
        }
      }
    }
    out.put("benchmark (HTTP server, publisher, consumer)", ProcessHandle.current().pid());
    return out;
  }

  /** Ticks each named tree spent since this meter was made. */
  Map<String, Long> since() {
    Map<String, Long> now = ticks(roots);
    Map<String, Long> out = new LinkedHashMap<>();
    for (var e : now.entrySet()) {
      out.put(e.getKey(), e.getValue() - start.getOrDefault(e.getKey(), 0L));
    }
    return out;
  }

  /** utime + stime of every process under each root (the root included), by the root's name. */
  private static Map<String, Long> ticks(Map<String, Long> roots) {
    Map<Long, Long> parent = new HashMap<>();
    Map<Long, Long> own = new HashMap<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String n = p.getFileName().toString();
        if (!n.chars().allMatch(Character::isDigit)) {
          continue;
        }
        String stat;
        try {
          stat = Files.readString(p.resolve("stat"));
        } catch (IOException gone) {
          continue; // exited meanwhile
        }
        String[] f = fields(stat);
        long pid = Long.parseLong(n);
        parent.put(pid, Long.parseLong(f[1]));
        // utime, stime, and cutime, cstime: the children it has reaped (gone from /proc).
        own.put(
            pid,
            Long.parseLong(f[11])
                + Long.parseLong(f[12])
                + Long.parseLong(f[13])
                + Long.parseLong(f[14]));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    // Each process counts for its nearest named ancestor (or itself), so no tree counts twice.
    Map<Long, String> names = new HashMap<>();
    roots.forEach((name, pid) -> names.put(pid, name));
    Map<String, Long> out = new LinkedHashMap<>();
    roots.keySet().forEach(name -> out.put(name, 0L));
    for (var e : own.entrySet()) {
      String name = null;
      long p = e.getKey();
      for (int depth = 0; p > 1 && depth < 64 && name == null; depth++) {
        name = names.get(p);
        p = parent.getOrDefault(p, 0L);
      }
      if (name != null) {
        out.merge(name, e.getValue(), Long::sum);
      }
    }
    return out;
  }

  /** Ticks of each thread of one process so far, by thread id, with its name. */
  static Map<Long, Map.Entry<String, Long>> threads(long pid) {
    Map<Long, Map.Entry<String, Long>> out = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : tasks.toList()) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] f = fields(stat);
        out.put(
            Long.parseLong(t.getFileName().toString()),
            Map.entry(name, Long.parseLong(f[11]) + Long.parseLong(f[12])));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  /**
   * Ticks by thread name between two {@link #threads} snapshots, largest first (a thread that ended
   * in between is missing).
   */
  static Map<String, Long> byThreadName(
      Map<Long, Map.Entry<String, Long>> before, Map<Long, Map.Entry<String, Long>> after) {
    Map<String, Long> sums = new HashMap<>();
    for (var e : after.entrySet()) {
      var b = before.get(e.getKey());
      long d = e.getValue().getValue() - (b == null ? 0 : b.getValue());
      sums.merge(e.getValue().getKey(), d, Long::sum);
    }
    Map<String, Long> out = new LinkedHashMap<>();
    sums.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /**
   * The fields of a {@code stat} line after the name, from the state on: "pid (comm) state ppid ...
   * utime stime cutime cstime ..."; comm may hold spaces, so it splits after the last ')'.
   */
  private static String[] fields(String stat) {
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }
}
