package io.memescope.trainer.data;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A lease on a trainer command that must not run twice at once ({@code trainer_leases}, migration
 * V010), taken with a lightweight transaction. It runs out by itself {@link #TTL} after it was
 * taken, so a command that crashed does not block the next one for longer.
 */
public final class TrainerLease implements AutoCloseable {
  /** How long a lease lives at most. */
  public static final Duration TTL = Duration.ofMinutes(10);

  private final CqlSession session;
  private final String name;
  private final String holder;

  private TrainerLease(CqlSession session, String name, String holder) {
    this.session = session;
    this.name = name;
    this.holder = holder;
  }

  /**
   * Takes the lease {@code name}, waiting up to {@code wait} (and saying so once on {@code out})
   * while another holder has it.
   *
   * @throws IllegalStateException when it is still held after {@code wait}, naming the holder
   */
  public static TrainerLease take(CqlSession session, String name, Duration wait, PrintStream out) {
    String holder = ProcessHandle.current().pid() + "@" + host() + "/" + UUID.randomUUID();
    Instant deadline = Instant.now().plus(wait);
    boolean said = false;
    while (true) {
      Row r =
          session
              .execute(
                  "INSERT INTO trainer_leases (name, holder, since) VALUES (?, ?, ?) IF NOT EXISTS"
                      + " USING TTL "
                      + TTL.toSeconds(),
                  name,
                  holder,
                  Instant.now())
              .one();
      if (r == null || r.getBoolean("[applied]")) {
        return new TrainerLease(session, name, holder);
      }
      String other = r.getString("holder");
      Instant since = r.getInstant("since");
      if (!Instant.now().isBefore(deadline)) {
        throw new IllegalStateException(
            String.format(
                "another %s (%s, since %s) is still running after %d s; run this one when it is"
                    + " done (the lease of one that crashed runs out %d minutes after it was"
                    + " taken)",
                name, other, since, wait.toSeconds(), TTL.toMinutes()));
      }
      if (!said) {
        out.printf("waiting for another %s (%s, since %s) to finish%n", name, other, since);
        said = true;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for another " + name, e);
      }
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
   * Gives the lease back, if this holder still has it. A store that fails here does not fail the
   * command, whose work is done: the lease then runs out by itself.
   */
  @Override
  public void close() {
    try {
      session.execute("DELETE FROM trainer_leases WHERE name = ? IF holder = ?", name, holder);
    } catch (RuntimeException e) {
      // runs out after TTL
    }
  }
}
