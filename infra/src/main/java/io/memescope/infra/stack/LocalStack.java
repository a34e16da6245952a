package io.memescope.infra.stack;

import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The local stack: real Kafka, Cassandra, Milvus and Flink processes on loopback, with data and
 * logs under one home directory. {@link #up} is idempotent (a healthy running service is reused),
 * {@link #down} stops everything the stack started, and {@link #status} probes each service.
 */
public final class LocalStack {
  private final MemescopeConfig config;
  private final StackLayout layout;
  private final List<Service> services;
  private final List<Service> stoppable;
  private final Supervisor supervisor = new Supervisor();

  public LocalStack(MemescopeConfig config) {
    this(
        config,
        layout -> Services.all(config, layout),
        layout -> Services.stoppable(config, layout));
  }

  /**
   * A stack of other services (tests).
   *
   * @param stoppable every service that may be running in this home, for {@link #down}: also those
   *     the settings no longer enable
   */
  LocalStack(
      MemescopeConfig config,
      java.util.function.Function<StackLayout, List<Service>> services,
      java.util.function.Function<StackLayout, List<Service>> stoppable) {
    this.config = config;
    this.layout = new StackLayout(config.home());
    this.services = services.apply(layout);
    List<Service> all = new ArrayList<>(stoppable.apply(layout));
    for (Service s : this.services) {
      if (all.stream().noneMatch(o -> o.name().equals(s.name()))) {
        all.add(s);
      }
    }
    this.stoppable = all;
  }

  public StackLayout layout() {
    return layout;
  }

  public List<Service> services() {
    return services;
  }

  /** The services named, in stack order; every name must exist. */
  public List<Service> select(List<String> names) {
    return select(services, names);
  }

  /** The services of {@code from} named (all of them when none is), in the order named. */
  private static List<Service> select(List<Service> from, List<String> names) {
    if (names.isEmpty()) {
      return from;
    }
    List<Service> selected = new ArrayList<>();
    for (String name : names) {
      selected.add(find(from, name));
    }
    return selected;
  }

  public Service service(String name) {
    return find(services, name);
  }

  private static Service find(List<Service> from, String name) {
    return from.stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new StackException(
                    "no service '"
                        + name
                        + "'; the services are "
                        + from.stream().map(Service::name).toList()));
  }

  /** One service's outcome of {@link #up}. */
  public record Started(Service service, boolean reused, Duration took) {}

  /** The names of the infrastructure services (brokers, stores, the Flink cluster). */
  public List<String> infrastructure() {
    return services.stream().filter(s -> !s.application()).map(Service::name).toList();
  }

  /** The names of the application processes, which need the infrastructure and the schema. */
  public List<String> applications() {
    return services.stream().filter(Service::application).map(Service::name).toList();
  }

  /**
   * Starts the given services (all when empty): the infrastructure in parallel, then the
   * applications, each waited for until ready. Throws a {@link StackException} listing one
   * diagnosis per failed service; services that did start are left running, and {@link #down} stops
   * them.
   */
  public List<Started> up(List<String> names, ProgressListener progress) {
    List<Service> selected = select(names);
    List<Started> started =
        new ArrayList<>(
            startAll(selected.stream().filter(s -> !s.application()).toList(), progress));
    started.addAll(startAll(selected.stream().filter(Service::application).toList(), progress));
    return started;
  }

  private List<Started> startAll(List<Service> selected, ProgressListener progress) {
    if (selected.isEmpty()) {
      return List.of();
    }
    selected.forEach(this::checkLoopback);
    try (Hold lock = lock()) {
      ExecutorService pool = Executors.newFixedThreadPool(selected.size());
      try {
        Map<Service, Future<Started>> futures = new LinkedHashMap<>();
        for (Service service : selected) {
          futures.put(service, pool.submit(() -> startOrDiagnose(service, progress)));
        }
        List<Started> started = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (var entry : futures.entrySet()) {
          try {
            started.add(entry.getValue().get());
          } catch (ExecutionException e) {
            failures.add(e.getCause().getMessage());
          }
        }
        if (!failures.isEmpty()) {
          throw new StackException(String.join("\n", failures));
        }
        return started;
      } finally {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while starting the stack");
    }
  }

  /**
   * Stops the given services (when empty: every service this home may be running, also those the
   * settings no longer enable), in reverse order; returns the names stopped.
   */
  public List<String> down(List<String> names, ProgressListener progress) {
    List<Service> selected = new ArrayList<>(select(stoppable, names));
    java.util.Collections.reverse(selected);
    List<String> stopped = new ArrayList<>();
    try (Hold lock = lock()) {
      for (Service service : selected) {
        int count = supervisor.stop(service, config.stack().stopTimeout());
        if (count > 0) {
          progress.step(service.name(), "stopped");
          stopped.add(service.name());
        }
      }
    }
    return stopped;
  }

  /** What one service looks like now. */
  public record ServiceStatus(
      String name,
      String state,
      boolean healthy,
      Long pid,
      String endpoint,
      Map<String, Integer> ports,
      String log,
      String detail) {}

  /**
   * The services among {@code names} that are running on an older build of the project than the one
   * on disk ({@link Service#outdated}), with what to tell the user about each.
   */
  public Map<String, String> outdated(List<String> names) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Service service : select(names)) {
      supervisor
          .running(service)
          .flatMap(p -> outdated(service, p))
          .ifPresent(why -> out.put(service.name(), why));
    }
    return out;
  }

  /**
   * Whether {@code process}, running {@code service}, should be restarted, and why: an older build,
   * other settings, or both.
   */
  private static Optional<String> outdated(Service service, ProcessHandle process) {
    List<String> why = reasonsToRestart(service, process);
    return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; and it ", why));
  }

  private static List<String> reasonsToRestart(Service service, ProcessHandle process) {
    List<String> why = new ArrayList<>();
    service.outdated(Supervisor.commandLine(process).orElse("")).ifPresent(why::add);
    service.otherSettings().ifPresent(why::add);
    return why;
  }

  /** Every service's status; the probes run in parallel, so this takes as long as the slowest. */
  public List<ServiceStatus> status() {
    ExecutorService pool = Executors.newFixedThreadPool(services.size());
    try {
      List<Future<ServiceStatus>> futures =
          services.stream().map(s -> pool.submit(() -> status(s))).toList();
      List<ServiceStatus> result = new ArrayList<>();
      for (Future<ServiceStatus> future : futures) {
        result.add(future.get());
      }
      return result;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while probing the stack");
    } catch (ExecutionException e) {
      throw new StackException("probe failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  public ServiceStatus status(Service service) {
    var process = supervisor.running(service);
    Long pid = process.map(ProcessHandle::pid).orElse(null);
    String state;
    Health health;
    if (process.isEmpty()) {
      state = "stopped";
      health = Health.down("not running");
    } else {
      health = service.probe();
      state = health.healthy() ? "healthy" : "unhealthy";
    }
    return new ServiceStatus(
        service.name(),
        state,
        health.healthy(),
        pid,
        service.endpoint(),
        service.ports(),
        StackLayout.show(service.logFile()),
        health.detail());
  }

  private Started startOrDiagnose(Service service, ProgressListener progress) {
    try {
      return start(service, progress);
    } catch (IOException | UncheckedIOException e) {
      throw new StackException(
          service.name()
              + ": "
              + IoErrors.describe(e)
              + "; see "
              + StackLayout.show(service.logFile()),
          e);
    }
  }

  private Started start(Service service, ProgressListener progress) throws IOException {
    long begin = System.nanoTime();
    var existing = supervisor.running(service);
    if (existing.isPresent()) {
      progress.step(service.name(), "already running (pid " + existing.get().pid() + ")");
      reasonsToRestart(service, existing.get())
          .forEach(warning -> progress.step(service.name(), warning));
      awaitReady(service, existing.get(), begin);
      return new Started(service, true, Duration.ofNanos(System.nanoTime() - begin));
    }
    supervisor.checkPortsFree(service);
    StackLayout.createDirectories(service.dataDir());
    StackLayout.createDirectories(service.confDir());
    StackLayout.createDirectories(service.logFile().getParent());
    rotate(service.logFile());
    service.prepare(progress);
    service.recordStartSettings();
    progress.step(service.name(), "starting (log " + StackLayout.show(service.logFile()) + ")");
    ProcessHandle process = supervisor.launch(service, service.command());
    // The start timeout counts from the launch: preparing (the first run's pip install of Milvus
    // Lite, which has its own limit) is not starting, and used to eat the whole timeout.
    awaitReady(service, process, System.nanoTime());
    return new Started(service, false, Duration.ofNanos(System.nanoTime() - begin));
  }

  private void awaitReady(Service service, ProcessHandle process, long from) {
    long deadline = from + config.stack().startTimeout().toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new StackException(
            service.name()
                + " exited during start-up: "
                + LogDiagnosis.lastError(service.logFile())
                + "; see "
                + StackLayout.show(service.logFile()));
      }
      Health health = service.probe();
      if (health.healthy()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new StackException(
            service.name()
                + " did not become ready within "
                + config.stack().startTimeout().toSeconds()
                + "s ("
                + health.detail()
                + "); see "
                + StackLayout.show(service.logFile()));
      }
      Supervisor.sleep(Supervisor.poll());
    }
  }

  private void checkLoopback(Service service) {
    try {
      if (!java.net.InetAddress.getByName(service.host()).isLoopbackAddress()) {
        throw new StackException(
            service.name()
                + ": the local stack binds loopback addresses only, but its host is "
                + service.host()
                + "; point the setting at 127.0.0.1, or run that service elsewhere");
      }
    } catch (java.net.UnknownHostException e) {
      throw new StackException(service.name() + ": host " + service.host() + " does not resolve");
    }
  }

  /** The stack's lock while {@link #hold} holds it, for the commands it runs meanwhile. */
  private FileLock held;

  /** The stack's lock, held by this instance until closed; an {@link AutoCloseable} of it. */
  public interface Hold extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Takes the stack's lock for a whole command, such as {@code up}: start the infrastructure, apply
   * the schema, start the applications and submit the ingest job, with no {@code down} or second
   * {@code up} in between (each step took and released it, so a {@code down} during the schema left
   * the applications started after it running, and two {@code up}s could both submit the ingest
   * job). {@link #up} and {@link #down} on this instance run under it meanwhile.
   */
  public synchronized Hold hold() {
    if (held != null) {
      throw new IllegalStateException("the stack's lock is held already");
    }
    held = acquire();
    return () -> {
      synchronized (this) {
        release(held);
        held = null;
      }
    };
  }

  /** The lock for one step: {@link #hold}'s when it is held, else a lock of its own. */
  private synchronized Hold lock() {
    if (held != null) {
      return () -> {};
    }
    FileLock lock = acquire();
    return () -> release(lock);
  }

  private static void release(FileLock lock) {
    release(lock.channel()); // closing the channel releases the lock
  }

  private static void release(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // closing a lock file cannot lose anything
    }
  }

  private FileLock acquire() {
    Path file = layout.lockFile();
    StackLayout.createDirectories(file.getParent());
    FileChannel channel;
    FileLock lock;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file, e);
    }
    try {
      lock = channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      // Held by another command in this JVM (tests). The channel stays open: closing any channel
      // to the file would drop the lock that command holds (POSIX locks are per process).
      throw refused();
    } catch (IOException e) {
      release(channel);
      throw new UncheckedIOException("cannot lock " + file, e); // e.g. no locks on this file system
    }
    if (lock == null) {
      release(channel);
      throw refused();
    }
    return lock;
  }

  private StackException refused() {
    return new StackException(
        "another memescope command is starting or stopping the stack in "
            + StackLayout.show(layout.home())
            + "; wait for it to finish");
  }

  /** A log past this size is set aside (as {@code <name>.log.1}) when its service starts. */
  static final long ROTATE_BYTES = 64L << 20;

  /**
   * Sets a long log aside, replacing the one set aside before: logs were appended to for good
   * (Flink logs every checkpoint), megabytes a day (until 2026-12-07).
   */
  static void rotate(Path log) throws IOException {
    if (java.nio.file.Files.isRegularFile(log) && java.nio.file.Files.size(log) > ROTATE_BYTES) {
      java.nio.file.Files.move(
          log,
          log.resolveSibling(log.getFileName() + ".1"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
