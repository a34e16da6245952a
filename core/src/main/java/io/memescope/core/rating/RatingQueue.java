package io.memescope.core.rating;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The queues of pairs waiting for ratings (table {@code rating_queue}), as the trainer's active
 * learning and the rater app's admins fill and clear them. Entries keep the order they were added
 * in; the rater app hands them out from the front.
 */
public final class RatingQueue {
  /**
   * An enqueue that failed after some of its batches were written: the message says how many, so
   * that nobody queues the whole list again on top of them.
   */
  public static final class PartlyQueued extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PartlyQueued(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A pair to rate, left and right as they should be shown. */
  public record Pair(String left, String right) {
    public Pair {
      PairKey.of(left, right); // rejects a pair of one image
    }
  }

  /** A queue's contents at a glance. */
  public record Summary(String name, int depth, int leased, Map<String, Integer> iterations) {}

  private static final Instant NO_LEASE = Instant.EPOCH;
  private final CqlSession session;
  private final PreparedStatement insert;
  private final PreparedStatement last;

  /** {@code session} must be bound to Memescope's keyspace. */
  public RatingQueue(CqlSession session) {
    this.session = session;
    this.insert =
        session.prepare(
            "INSERT INTO rating_queue (queue, rank, pair_key, left_id, right_id, iteration,"
                + " ratings_wanted, rated_by, leased_by, lease_until, enqueued_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, {}, null, ?, ?)");
    this.last =
        session.prepare("SELECT rank FROM rating_queue WHERE queue = ? ORDER BY rank DESC LIMIT 1");
  }

  /**
   * Pairs per write. A write is one partition's mutation, applied whole or not at all, and
   * Cassandra checks the batch size limit only for batches over several partitions; 5,000 entries
   * are about 1 MB, well under the largest mutation (half a commit log segment, 16 MB by default).
   * So a batch of up to 5,000 pairs (train select's default is 200, the rater app's most 10,000) is
   * queued entirely or not at all; until 2026-12-05 a batch was written 50 pairs at a time, and a
   * failure half-way left part of it queued without saying so.
   */
  static final int WRITE = 5_000;

  /**
   * Appends pairs to the end of {@code queue}, in the given order.
   *
   * @param ratingsWanted raters each pair should get; 0 chooses per pair: 2 for a share {@code
   *     overlap} of the pairs (the same pairs whoever adds them), 1 for the rest
   * @return how many were added
   */
  public int enqueue(
      String queue, String iteration, List<Pair> pairs, int ratingsWanted, double overlap) {
    ensureQueue(queue);
    Instant now = Instant.now();
    long rank = nextRank(queue, now);
    int written = 0;
    for (int from = 0; from < pairs.size(); from += WRITE) {
      int to = Math.min(pairs.size(), from + WRITE);
      BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED);
      for (Pair p : pairs.subList(from, to)) {
        String key = PairKey.of(p.left(), p.right());
        int wanted = ratingsWanted > 0 ? ratingsWanted : (fraction(key) < overlap ? 2 : 1);
        batch.addStatement(
            insert.bind(queue, rank++, key, p.left(), p.right(), iteration, wanted, NO_LEASE, now));
      }
      try {
        session.execute(batch.build()); // one partition: applied as one write
      } catch (RuntimeException e) {
        if (written == 0) {
          throw e; // nothing queued: the store's own error (the rater app answers 503 for it)
        }
        // Said, so that nobody queues the same batch again on top of what is there.
        throw new PartlyQueued(
            String.format(
                "queued %d of the %d pairs in %s as iteration %s before a write failed (%s);"
                    + " those stay queued, and the write that failed may have been applied too"
                    + " (the queue's summary shows them)",
                written, pairs.size(), queue, iteration, e.getMessage()),
            e);
      }
      written = to;
    }
    return pairs.size();
  }

  /**
   * The rank an entry added to the end of {@code queue} at {@code now} takes ({@link #firstRank}).
   */
  public long nextRank(String queue, Instant now) {
    Row row = session.execute(last.bind(queue)).one();
    return firstRank(row == null ? null : row.getLong("rank"), now);
  }

  /**
   * The rank of the next entry: after the queue's last, and at least the time in microseconds, so
   * that a queue cleared and filled again never reuses a rank. The rater app keeps, per rater, the
   * rank before which there is nothing they can take ({@code rater_queue_marks}); a reused rank
   * below it would hide the new entry from them.
   */
  static long firstRank(Long lastRank, Instant now) {
    long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    return lastRank == null ? micros : Math.max(lastRank + 1, micros);
  }

  /** Creates the queue if it does not exist. */
  public void ensureQueue(String queue) {
    session.execute(
        "INSERT INTO rating_queues (name, created_at) VALUES (?, ?) IF NOT EXISTS",
        queue,
        Instant.now());
  }

  /**
   * Removes every entry of {@code queue}; returns how many there were. The time is kept ({@link
   * #clearedAt}) before the entries go, so that a later undo of a rating from before it does not
   * put its pair back (an undo that read it just before the clear still can).
   */
  public int clear(String queue) {
    int depth = summary(queue).depth();
    // IF EXISTS: clearing a name that is no queue (a typo) must not make it one.
    session.execute(
        "UPDATE rating_queues SET cleared_at = ? WHERE name = ? IF EXISTS", Instant.now(), queue);
    session.execute("DELETE FROM rating_queue WHERE queue = ?", queue);
    return depth;
  }

  /** When {@code queue} was last cleared, if ever. */
  public java.util.Optional<Instant> clearedAt(String queue) {
    Row row = session.execute("SELECT cleared_at FROM rating_queues WHERE name = ?", queue).one();
    return java.util.Optional.ofNullable(row == null ? null : row.getInstant("cleared_at"));
  }

  /** The names of all queues. */
  public List<String> names() {
    return session.execute("SELECT name FROM rating_queues").all().stream()
        .map(r -> r.getString("name"))
        .sorted()
        .toList();
  }

  /** Depth, leased entries and entries per iteration label of one queue. */
  public Summary summary(String queue) {
    int depth = 0;
    int leased = 0;
    Map<String, Integer> iterations = new LinkedHashMap<>();
    Instant now = Instant.now();
    for (Row r :
        session.execute(
            "SELECT iteration, leased_by, lease_until FROM rating_queue WHERE queue = ?", queue)) {
      depth++;
      Instant until = r.getInstant("lease_until");
      if (r.getString("leased_by") != null && until != null && until.isAfter(now)) {
        leased++;
      }
      String iteration = r.getString("iteration");
      iterations.merge(iteration == null ? "" : iteration, 1, Integer::sum);
    }
    return new Summary(queue, depth, leased, iterations);
  }

  /** The number of entries in {@code queue}. */
  public int depth(String queue) {
    Row r = session.execute("SELECT count(*) FROM rating_queue WHERE queue = ?", queue).one();
    return r == null ? 0 : (int) r.getLong(0);
  }

  /** The raters of the entries of {@code queue}, for tests and tools. */
  public Map<String, Set<String>> ratedBy(String queue) {
    Map<String, Set<String>> result = new LinkedHashMap<>();
    for (Row r :
        session.execute("SELECT pair_key, rated_by FROM rating_queue WHERE queue = ?", queue)) {
      result.put(r.getString("pair_key"), r.getSet("rated_by", String.class));
    }
    return result;
  }

  /** A number in [0, 1) fixed by the pair, so that overlap picks the same pairs everywhere. */
  static double fraction(String pairKey) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256").digest(pairKey.getBytes(StandardCharsets.UTF_8));
      long v = 0;
      for (int i = 0; i < 7; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return v / (double) (1L << 56);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
