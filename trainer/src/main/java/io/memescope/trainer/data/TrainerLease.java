package io.memescope.trainer.data;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A lease on a trainer command that must not run twice at once ({@code trainer_leases}, migration
 * V010), taken with a lightweight transaction. Its row lives {@link #TTL}; while the command runs,
 * a daemon thread writes it again every quarter of that, so a long command keeps it and one that
 * crashed blocks the next for at most {@link #TTL}. Before its one write that must not happen twice
 * (a selection queueing its batch), a command calls {@link #ensureHeld}: a lease that ran out (the
 * store away for longer than the TTL) or was taken over is then an error, not a second batch.
 */
public final class TrainerLease implements AutoCloseable {
  /** How long a lease lives without being renewed. */
  public static final Duration TTL = Duration.ofMinutes(10);

  /** Cassandra counts a TTL from the write's whole second: a row may go up to this much earlier. */
  private static final Duration TTL_ROUNDING = Duration.ofSeconds(1);

  private final CqlSession session;
  private final String name;
  private final String holder;
  private final Instant since;
  private final Duration ttl;
  private final ScheduledExecutorService renewer;
  private final Thread onExit;
  private volatile boolean lost;
  private volatile Instant validUntil;
  private Waited waitedFor; // the first live holder this one waited for, if any

  /** A holder that another one waited for: its name, and since when it held the lease. */
  public record Waited(String holder, Instant since) {}

  private TrainerLease(
      CqlSession session, String name, String holder, Instant since, Duration ttl) {
    this.session = session;
    this.name = name;
    this.holder = holder;
    this.since = since;
    this.ttl = ttl;
    this.validUntil = since.plus(ttl).minus(TTL_ROUNDING);
    this.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "trainer-lease-" + name.replace(' ', '-'));
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(100, ttl.toMillis() / 4);
    renewer.scheduleWithFixedDelay(this::renewQuietly, every, every, TimeUnit.MILLISECONDS);
    // Ctrl-C (or a kill) skips close(): give the lease back on the way out, else the next command
    // waits for a holder that is gone.
    this.onExit = new Thread(this::giveBack, "trainer-lease-release");
    Runtime.getRuntime().addShutdownHook(onExit);
  }

  /**
   * Takes the lease {@code name}, waiting up to {@code wait} (and saying so once on {@code out})
   * while another holder has it.
   *
   * @throws IllegalStateException when it is still held after {@code wait}, naming the holder
   */
  public static TrainerLease take(CqlSession session, String name, Duration wait, PrintStream out) {
    return take(session, name, wait, TTL, out);
  }

  /** {@link #take(CqlSession, String, Duration, PrintStream)} with a lease living {@code ttl}. */
  public static TrainerLease take(
      CqlSession session, String name, Duration wait, Duration ttl, PrintStream out) {
    if (ttl.toSeconds() < 1 || ttl.toMillis() % 1000 != 0) {
      // Cassandra's TTL is whole seconds: a fraction would be cut off the row, not validUntil.
      throw new IllegalArgumentException("a lease lives whole seconds, at least 1, not " + ttl);
    }
    String holder = holderOf(ProcessHandle.current()) + "/" + UUID.randomUUID();
    Instant deadline = Instant.now().plus(wait);
    boolean said = false;
    Waited waitedFor = null;
    while (true) {
      Instant now = Instant.now();
      Row r =
          session
              .execute(
                  "INSERT INTO trainer_leases (name, holder, since) VALUES (?, ?, ?) IF NOT EXISTS"
                      + " USING TTL "
                      + ttl.toSeconds(),
                  name,
                  holder,
                  now)
              .one();
      if (r == null || r.getBoolean("[applied]")) {
        TrainerLease lease = new TrainerLease(session, name, holder, now, ttl);
        lease.waitedFor = waitedFor;
        return lease;
      }
      String other = r.getString("holder");
      Instant otherSince = r.getInstant("since");
      if (deadHere(other)) {
        // Its process on this machine is gone (killed before it could give the lease back).
        out.printf(
            "the %s holding the lease (%s, since %s) is not running any more: taking it over%n",
            name, other, otherSince);
        session.execute("DELETE FROM trainer_leases WHERE name = ? IF holder = ?", name, other);
        continue;
      }
      if (!Instant.now().isBefore(deadline)) {
        throw new IllegalStateException(
            String.format(
                "another %s (%s, since %s) is still running after %d s; run this one when it is"
                    + " done (the lease of one that crashed runs out %d s after it was last"
                    + " renewed)",
                name, other, otherSince, wait.toSeconds(), ttl.toSeconds()));
      }
      if (!said) {
        out.printf("waiting for another %s (%s, since %s) to finish%n", name, other, otherSince);
        said = true;
      }
      if (waitedFor == null) {
        waitedFor = new Waited(other, otherSince);
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for another " + name, e);
      }
    }
  }

  /**
   * A holder's name for {@code process}: its pid, host, machine ({@link #MACHINE}) and start (in
   * clock ticks since boot), so that {@link #deadHere} can tell whether it still runs.
   */
  public static String holderOf(ProcessHandle process) {
    return process.pid()
        + "@"
        + host()
        + "/"
        + MACHINE
        + "/"
        + startTicks(process.pid()).orElse(0L);
  }

  private static final java.util.regex.Pattern HOLDER =
      java.util.regex.Pattern.compile("(\\d+)@([^/]+)/([^/]+)/(\\d+)(/.*)?");

  /**
   * This boot's id and this process's pid namespace, or "?" where either cannot be read (then no
   * holder is ever taken for dead). Pids mean the same process only within one boot and one pid
   * namespace: a command run in a container that shares the host's name and network (to reach the
   * stack on 127.0.0.1) has the host's boot id, but its pids are not the host's. (Until 2026-12-07
   * the boot id alone, so such a command's lease was taken over while it ran.)
   */
  private static final String MACHINE = machine();

  private static String machine() {
    try {
      String id =
          java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id"))
              .strip();
      String namespace =
          java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/pid"))
              .toString()
              .replaceAll("\\D", "");
      if (!id.matches("[0-9a-f-]{16,64}") || namespace.isEmpty()) {
        return "?";
      }
      return id.substring(0, Math.min(id.length(), 36)) + "~" + namespace;
    } catch (java.io.IOException | RuntimeException e) {
      return "?";
    }
  }

  /**
   * When process {@code pid} started, in clock ticks since boot ({@code /proc/PID/stat}, field 22),
   * or empty where it cannot be read (no such process, or one this user may not see). Ticks since
   * boot, unlike {@link ProcessHandle.Info#startInstant}, do not move when the wall clock is
   * stepped: each JVM turns them into an instant with the boot time as it read it.
   */
  static java.util.Optional<Long> startTicks(long pid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      // The command name, field 2, is in parentheses and may hold spaces or parentheses itself.
      String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return java.util.Optional.of(Long.parseLong(after[19]));
    } catch (java.io.IOException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }

  /**
   * Whether {@code holder} names a process of this machine (same boot and pid namespace) that no
   * longer runs: none with its pid, or one that started at another time (the pid was reused). Where
   * {@code /proc} hides other users' processes ({@code hidepid}), a pid not found may be one this
   * user cannot see, and is not taken for dead.
   */
  static boolean deadHere(String holder) {
    if (holder == null || MACHINE.equals("?")) {
      return false;
    }
    java.util.regex.Matcher m = HOLDER.matcher(holder);
    if (!m.matches() || !m.group(3).equals(MACHINE) || !m.group(2).equals(host())) {
      return false;
    }
    long start = Long.parseLong(m.group(4));
    if (start == 0) {
      return false; // its start time was not known: cannot tell a reused pid
    }
    long pid;
    try {
      pid = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return false;
    }
    java.util.Optional<Long> now = startTicks(pid);
    if (now.isPresent()) {
      return now.get() != start;
    }
    boolean exists = java.nio.file.Files.exists(java.nio.file.Path.of("/proc/" + pid));
    return !exists && !PROC_HIDES_PROCESSES;
  }

  /** Whether {@code /proc} is mounted with {@code hidepid} 1 or 2 and this user is not root. */
  private static final boolean PROC_HIDES_PROCESSES = procHidesProcesses();

  private static boolean procHidesProcesses() {
    try {
      for (String line :
          java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/mountinfo"))) {
        String[] f = line.split(" ");
        if (f.length > 4 && f[4].equals("/proc")) {
          java.util.regex.Matcher h =
              java.util.regex.Pattern.compile("hidepid=(\\w+)").matcher(line);
          return h.find()
              && !java.util.List.of("0", "off").contains(h.group(1))
              && !"root".equals(System.getProperty("user.name"));
        }
      }
      return false;
    } catch (java.io.IOException | RuntimeException e) {
      return true; // cannot tell: never take a pid not found for a dead process
    }
  }

  private static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "unknown-host";
    }
  }

  /**
   * The first holder this one waited for before it got the lease (others may have held it after),
   * or empty when the lease was free (or its holder was taken for dead). Its {@code since} is the
   * time of that holder's own clock when it took the lease.
   */
  public java.util.Optional<Waited> waitedFor() {
    return java.util.Optional.ofNullable(waitedFor);
  }

  /** This holder's name in {@code trainer_leases}. */
  public String holder() {
    return holder;
  }

  /**
   * Writes the lease again for another TTL if this holder still has it.
   *
   * @return false when it does not: it ran out, or another holder took it
   */
  private boolean renew() {
    if (lost) {
      return false;
    }
    Instant now = Instant.now();
    Row r =
        session
            .execute(
                "UPDATE trainer_leases USING TTL "
                    + ttl.toSeconds()
                    + " SET holder = ?, since = ? WHERE name = ? IF holder = ?",
                holder,
                since,
                name,
                holder)
            .one();
    if (r != null && !r.getBoolean("[applied]")) {
      lost = true;
      return false;
    }
    validUntil = now.plus(ttl).minus(TTL_ROUNDING);
    return true;
  }

  private void renewQuietly() {
    try {
      renew();
    } catch (RuntimeException e) {
      // The store is away: tried again at the next turn; ensureHeld refuses once the TTL passed.
    }
  }

  /**
   * Renews the lease now, and fails when this holder no longer has it.
   *
   * @throws IllegalStateException when it ran out or another holder took it over; or when the store
   *     cannot be asked and the last renewal is older than the TTL
   */
  public void ensureHeld() {
    try {
      if (renew()) {
        return;
      }
    } catch (RuntimeException e) {
      if (Instant.now().isBefore(validUntil)) {
        return; // still ours until validUntil: nobody else could have taken it
      }
      throw new IllegalStateException(
          "lost the " + name + " lease: the store could not renew it for " + ttl.toSeconds() + " s",
          e);
    }
    throw new IllegalStateException(
        "lost the "
            + name
            + " lease: it ran out or another one took it over, so this one stops before writing");
  }

  /**
   * Stops renewing and gives the lease back, if this holder still has it. A store that fails here
   * does not fail the command, whose work is done: the lease then runs out by itself.
   */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook gives it back
    }
    giveBack();
  }

  private void giveBack() {
    renewer.shutdownNow();
    try {
      renewer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      session.execute(
          com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                  "DELETE FROM trainer_leases WHERE name = ? IF holder = ?", name, holder)
              .setTimeout(Duration.ofSeconds(5)));
    } catch (RuntimeException e) {
      // runs out after the TTL
    }
  }
}
