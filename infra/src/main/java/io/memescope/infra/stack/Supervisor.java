package io.memescope.infra.stack;

import io.memescope.core.config.ModelSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts, finds and stops the process of a {@link Service}. Processes run in a session of their own
 * ({@code setsid}), so they outlive the CLI and a Ctrl+C in its terminal; a pid file records each.
 * A process counts as the service's only if its command line names the service's data directory and
 * it carries the service's mark: {@value #MARK} in its environment, which the launch sets and the
 * service's own child processes inherit. So a reused pid is never mistaken for it, nor is the
 * user's {@code tail -f} of a file in that directory, which {@code down} would otherwise kill and
 * {@code up} take for a running server.
 */
final class Supervisor {
  private static final Duration POLL = Duration.ofMillis(500);

  /** The environment variable that marks a process as one the stack started: its data directory. */
  static final String MARK = "MEMESCOPE_SERVICE_DIR";

  /** The running process of {@code service}, if any. */
  Optional<ProcessHandle> running(Service service) {
    Path pidFile = service.layout.pidFile(service.name());
    Optional<ProcessHandle> fromPidFile = readPid(pidFile).flatMap(ProcessHandle::of);
    if (fromPidFile.isPresent() && isProcessOf(fromPidFile.get(), service)) {
      return fromPidFile;
    }
    return ProcessHandle.allProcesses().filter(p -> isProcessOf(p, service)).findFirst();
  }

  /** Every process that belongs to {@code service}, found by its data directory. */
  List<ProcessHandle> allProcesses(Service service) {
    return ProcessHandle.allProcesses().filter(p -> isProcessOf(p, service)).toList();
  }

  /**
   * Refuses to start when another process holds one of the service's ports. Where that is a process
   * of another Memescope stack (another {@code home}: the default, {@code .memescope}, is relative
   * to the folder the command ran in), the message names that stack's home: following the usual
   * advice, another port, would start a second, empty stack beside it. (Until 2026-12-06 it gave
   * that advice.)
   */
  void checkPortsFree(Service service) {
    for (Map.Entry<String, Integer> port : service.ports().entrySet()) {
      if (!isFree(service.host(), port.getValue())) {
        String taken =
            service.name()
                + ": port "
                + port.getValue()
                + " on "
                + service.host()
                + " ("
                + port.getKey()
                + ") is already in use by ";
        Optional<Path> otherHome = otherStackHome(service, port.getValue());
        if (otherHome.isPresent()) {
          throw new StackException(
              taken
                  + "the Memescope stack in "
                  + otherHome.get()
                  + " (another home than this command's, "
                  + service.layout.home()
                  + "); run the command with --home "
                  + otherHome.get()
                  + " (or from the folder that stack was started in), or stop that stack first");
        }
        throw new StackException(
            taken
                + "another process; stop that process or set "
                + port.getKey().replaceFirst(" .*", "")
                + " to a free port");
      }
    }
  }

  /**
   * The home of the Memescope stack whose process listens on {@code port}, other than this
   * service's: the listener's data directory ({@value #MARK}), {@code <home>/data/<name>}. Found
   * from the kernel's socket tables and the processes' descriptors this user may read; empty when
   * the listener is not found, unmarked, or this service's own.
   */
  static Optional<Path> otherStackHome(Service service, int port) {
    java.util.Set<String> sockets = listeningSockets(port);
    if (sockets.isEmpty()) {
      return Optional.empty();
    }
    Path mine = service.dataDir();
    return ProcessHandle.allProcesses()
        .filter(p -> holdsAny(p, sockets))
        .map(p -> environmentValue(p, MARK).flatMap(v -> v))
        .flatMap(Optional::stream)
        .map(v -> Path.of(v).toAbsolutePath().normalize())
        .filter(dir -> !dir.equals(mine) && dir.getNameCount() >= 3)
        .filter(dir -> dir.getParent().getFileName().toString().equals("data"))
        .map(dir -> dir.getParent().getParent())
        .filter(home -> !home.equals(service.layout.home())) // another service of this stack
        .findFirst();
  }

  /** The inodes ("socket:[N]") of the TCP sockets listening on {@code port}, IPv4 and IPv6. */
  private static java.util.Set<String> listeningSockets(int port) {
    java.util.Set<String> out = new java.util.HashSet<>();
    String hexPort = String.format(":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(table));
      } catch (IOException | SecurityException e) {
        continue;
      }
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] f = line.trim().split("\\s+");
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) { // 0A: LISTEN
          out.add("socket:[" + f[9] + "]");
        }
      }
    }
    return out;
  }

  private static boolean holdsAny(ProcessHandle process, java.util.Set<String> sockets) {
    Path fds = Path.of("/proc", Long.toString(process.pid()), "fd");
    try (java.util.stream.Stream<Path> list = Files.list(fds)) {
      return list.anyMatch(
          fd -> {
            try {
              return sockets.contains(Files.readSymbolicLink(fd).toString());
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
              return false;
            }
          });
    } catch (IOException | java.io.UncheckedIOException | SecurityException e) {
      return false; // another user's process, or one gone (also while its descriptors are listed)
    }
  }

  ProcessHandle launch(Service service, List<String> command) throws IOException {
    Path log = service.logFile();
    StackLayout.createDirectories(log.getParent());
    StackLayout.createDirectories(service.layout.pidFile(service.name()).getParent());
    List<String> full = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      full.add("/usr/bin/setsid");
    }
    full.addAll(command);
    ProcessBuilder builder =
        new ProcessBuilder(full)
            .directory(service.dataDir().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().putAll(service.environment());
    builder.environment().put(MARK, service.dataDir().toString());
    int torchThreads = service.config.model().torchThreads();
    if (torchThreads > 0 && System.getenv(ModelSettings.TORCH_THREADS_ENV) == null) {
      // libtorch reads it once, when it loads: every process that may load it gets it.
      builder.environment().put(ModelSettings.TORCH_THREADS_ENV, Integer.toString(torchThreads));
    }
    Files.writeString(
        log,
        "---- memescope: starting " + service.name() + " at " + java.time.Instant.now() + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    Process process = builder.start();
    Files.writeString(service.layout.pidFile(service.name()), Long.toString(process.pid()));
    return process.toHandle();
  }

  /** Stops every process of {@code service}; returns how many there were. */
  int stop(Service service, Duration timeout) {
    List<ProcessHandle> processes = allProcesses(service);
    for (ProcessHandle process : processes) {
      signal(process, service.stopSignal());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ProcessHandle process : processes) {
      long left = deadline - System.nanoTime();
      try {
        process.onExit().get(Math.max(left, 1), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
          // A killed process is gone once the kernel has reaped it; a stop returns after that, so
          // that the ports and files are free for the next start.
          process.onExit().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
        } catch (Exception stillThere) {
          // Reported by the next status or start, which finds it by its command line.
        }
      }
    }
    try {
      Files.deleteIfExists(service.layout.pidFile(service.name()));
    } catch (IOException e) {
      // Not a reason to leave the other services running: processes are found by their command
      // line, not by this file, which the next start overwrites.
    }
    return processes.size();
  }

  static boolean isFree(String host, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted");
    }
  }

  static Duration poll() {
    return POLL;
  }

  private static void signal(ProcessHandle process, String signal) {
    if ("TERM".equals(signal)) {
      process.destroy();
      return;
    }
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
          .redirectErrorStream(true)
          .start()
          .waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      process.destroy();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
    }
  }

  static boolean isProcessOf(ProcessHandle process, Service service) {
    String dir = service.dataDir().toString();
    java.util.regex.Pattern named =
        java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(dir) + "(?=$|[/\\s:=\"])");
    if (!commandLine(process).map(c -> named.matcher(c).find()).orElse(false)) {
      return false;
    }
    Optional<Optional<String>> mark = environmentValue(process, MARK);
    if (mark.isEmpty()) {
      // Its environment cannot be read: another user's process, or a system that hides
      // /proc/<pid>/environ even from its owner (a hardened ptrace policy). Then the command
      // line decides for this user's own processes, as before the mark; otherwise up and down
      // would find no service at all there.
      return process.info().user().equals(ProcessHandle.current().info().user());
    }
    if (mark.get().isPresent()) {
      return mark.get().get().equals(dir);
    }
    // Unmarked: started by a version before the mark, which ran every service in its data
    // directory. A process started elsewhere that only names the directory is not the service.
    Path home;
    try {
      home = service.dataDir().toRealPath(); // the kernel gives the working directory resolved
    } catch (IOException e) {
      return false;
    }
    return workingDirectory(process).map(cwd -> cwd.startsWith(home)).orElse(false);
  }

  /**
   * The value of {@code name} in the environment {@code process} started with: empty when that
   * cannot be read (another user's process, or one gone), an empty value when it has no such
   * variable.
   */
  static Optional<Optional<String>> environmentValue(ProcessHandle process, String name) {
    Path proc = Path.of("/proc", Long.toString(process.pid()), "environ");
    byte[] raw;
    try {
      raw = Files.readAllBytes(proc);
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
    String prefix = name + "=";
    for (String entry : new String(raw, StandardCharsets.UTF_8).split("\0")) {
      if (entry.startsWith(prefix)) {
        return Optional.of(Optional.of(entry.substring(prefix.length())));
      }
    }
    return Optional.of(Optional.empty());
  }

  private static Optional<Path> workingDirectory(ProcessHandle process) {
    try {
      return Optional.of(
          Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "cwd")));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** The command line of {@code process}, its arguments separated by spaces. */
  static Optional<String> commandLine(ProcessHandle process) {
    Path proc = Path.of("/proc", Long.toString(process.pid()), "cmdline");
    try {
      byte[] raw = Files.readAllBytes(proc);
      return Optional.of(new String(raw, StandardCharsets.UTF_8).replace('\0', ' '));
    } catch (IOException | SecurityException e) {
      return process.info().commandLine();
    }
  }

  private static Optional<Long> readPid(Path pidFile) {
    try {
      return Optional.of(Long.parseLong(Files.readString(pidFile).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
