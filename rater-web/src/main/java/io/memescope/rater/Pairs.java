package io.memescope.rater;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import io.memescope.core.config.RaterSettings;
import io.memescope.core.rating.PairKey;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands out pairs to rate. A rater gets the first entry of their queue that they have not rated,
 * skipped or already hold, and that no other rater holds; when the queue has none, a random pair
 * from the index. Taking a queue entry is a lightweight transaction on its lease columns, so that
 * two raters never hold one entry at once; the lease runs out after {@code rater.lease}. Every pair
 * handed out is recorded in {@code rater_leases}, which links it to the rating it becomes.
 */
final class Pairs {
  static final String QUEUE = "queue";
  static final String RANDOM = "random";
  static final Instant NO_LEASE = Instant.EPOCH;

  /**
   * Queue entries a request looks into (a lookup of the rater's ratings and skips, a claim, a
   * delete) before falling back to a random pair.
   */
  static final int SCAN = 2_000;

  /**
   * Queue rows a request reads at most, counting those it passes over without a lookup (rated by
   * the rater, held by others): the first request of a rater whose mark is far behind reads this
   * many at most, and the mark then starts the next one past them.
   */
  static final int READ = 50_000;

  /** A pair handed to a rater. {@code queue}, {@code rank} are null for random pairs. */
  record Lease(
      String rater,
      UUID id,
      String pairKey,
      String left,
      String right,
      String origin,
      String queue,
      Long rank,
      String iteration,
      int ratingsWanted,
      UUID ratingId,
      boolean released) {}

  private final Db db;
  private final RaterSettings settings;

  Pairs(Db db, RaterSettings settings) {
    this.db = db;
    this.settings = settings;
  }

  /** The next pair for {@code rater} from {@code queue}, else a random one; empty if none. */
  Optional<Lease> next(String rater, String queue) {
    return db.call(
        s -> {
          Set<String> held = held(s, rater);
          Optional<Lease> queued = fromQueue(s, rater, queue, held);
          return queued.isPresent() ? queued : random(s, rater, held);
        });
  }

  /**
   * The lease {@code id} of {@code rater}, if it is one of theirs and has not expired. A lease's
   * row expires cell by cell: a release or rating claim written later outlives the pair the row was
   * written with, and such a row is an expired lease too.
   */
  Optional<Lease> lease(String rater, UUID id) {
    if (id.version() != 1) {
      return Optional.empty(); // leases are time-based UUIDs; anything else was never one
    }
    return db.call(
        s ->
            Optional.ofNullable(
                    s.execute(
                            db.prepare(
                                    s, "SELECT * FROM rater_leases WHERE rater = ? AND lease = ?")
                                .bind(rater, id))
                        .one())
                .filter(r -> !r.isNull("pair_key"))
                .map(Pairs::toLease));
  }

  /**
   * Gives back the pairs the rater no longer holds (a page reload): the leases {@code which} picks.
   */
  void release(String rater, java.util.function.Predicate<Lease> which) {
    db.call(
        s -> {
          for (Row r :
              s.execute(db.prepare(s, "SELECT * FROM rater_leases WHERE rater = ?").bind(rater))) {
            Lease l = toLease(r);
            if (!l.released() && which.test(l)) {
              release(s, l);
            }
          }
          return null;
        });
  }

  /**
   * Skips a pair: not shown to this rater again, and released unless the lease was released
   * already. Such a lease's entry, when the rater holds it, is held under another of their leases
   * (the pair handed to another of their devices since), which it stays with. Until 2026-12-07 the
   * skip freed it, and another rater could take the pair the rater still had on screen.
   */
  void skip(Lease l) {
    db.call(
        s -> {
          s.execute(
              db.prepare(
                      s, "INSERT INTO rater_skips (rater, pair_key, skipped_at) VALUES (?, ?, ?)")
                  .bind(l.rater(), l.pairKey(), Instant.now()));
          if (!l.released()) {
            release(s, l);
          }
          return null;
        });
  }

  /** Marks a lease released and frees its queue entry if the rater still holds it. */
  void release(CqlSession s, Lease l) {
    if (QUEUE.equals(l.origin())) {
      s.execute(
          db.prepare(
                  s,
                  "UPDATE rating_queue SET leased_by = null, lease_until = ?"
                      + " WHERE queue = ? AND rank = ? AND pair_key = ? IF leased_by = ?")
              .bind(NO_LEASE, l.queue(), l.rank(), l.pairKey(), l.rater()));
    }
    s.execute(
        db.prepare(s, "UPDATE rater_leases SET released = true WHERE rater = ? AND lease = ?")
            .bind(l.rater(), l.id()));
  }

  /**
   * Records a lease of the pair for {@code rater}.
   *
   * @param handedBackFor the rating an undo hands the pair back for (null: none), by which a retry
   *     of the undo finds this lease
   */
  Lease record(
      CqlSession s,
      String rater,
      String left,
      String right,
      String origin,
      String queue,
      Long rank,
      String iteration,
      int wanted,
      UUID handedBackFor) {
    Lease l =
        new Lease(
            rater,
            Uuids.timeBased(),
            PairKey.of(left, right),
            left,
            right,
            origin,
            queue,
            rank,
            iteration,
            wanted,
            null,
            false);
    BoundStatement insert =
        db.prepare(
                s,
                "INSERT INTO rater_leases (rater, lease, pair_key, left_id, right_id, origin,"
                    + " queue, rank, iteration, ratings_wanted, released, handed_back_for)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?)")
            .bind(
                rater,
                l.id(),
                l.pairKey(),
                left,
                right,
                origin,
                queue,
                rank,
                iteration,
                wanted,
                handedBackFor);
    // What is absent (no queue for a random pair, no rating handed back for) is left unset, not
    // bound as null: a null is written as a tombstone, one or more for every lease row, on the
    // path of every /api/pairs/next.
    for (int i = 0; i < insert.size(); i++) {
      if (insert.isNull(i)) {
        insert = insert.unset(i);
      }
    }
    s.execute(insert);
    return l;
  }

  /**
   * Takes the queue entry for {@code rater} until {@code newUntil}, if it is still as it was read:
   * free ({@code leasedBy} null), or held by {@code leasedBy} until {@code until} (run out). A
   * lightweight transaction: of two raters claiming at once, one wins.
   *
   * <p>The entry must still exist: Cassandra takes a missing row's columns for null, so {@code IF
   * leased_by = null} alone applies to an entry deleted since it was read (rated enough, cleared by
   * an admin, moved by an undo) and writes a row of lease columns alone, which every later request
   * would then read as a pair without images. {@code left_id}, set on every entry, tells.
   */
  boolean claim(
      CqlSession s,
      String queue,
      long rank,
      String key,
      String rater,
      Instant newUntil,
      String leasedBy,
      Instant until) {
    ResultSet claim =
        leasedBy == null
            ? s.execute(
                db.prepare(
                        s,
                        "UPDATE rating_queue SET leased_by = ?, lease_until = ?"
                            + " WHERE queue = ? AND rank = ? AND pair_key = ?"
                            + " IF leased_by = null AND left_id != null")
                    .bind(rater, newUntil, queue, rank, key))
            : s.execute(
                db.prepare(
                        s,
                        "UPDATE rating_queue SET leased_by = ?, lease_until = ?"
                            + " WHERE queue = ? AND rank = ? AND pair_key = ?"
                            + " IF leased_by = ? AND lease_until = ? AND left_id != null")
                    .bind(rater, newUntil, queue, rank, key, leasedBy, until));
    return claim.wasApplied();
  }

  /** Pairs the rater holds now (leased, neither rated nor released). */
  private Set<String> held(CqlSession s, String rater) {
    Set<String> held = new HashSet<>();
    for (Row r :
        s.execute(
            db.prepare(s, "SELECT pair_key, rating_id, released FROM rater_leases WHERE rater = ?")
                .bind(rater))) {
      if (r.getUuid("rating_id") == null && !r.getBoolean("released")) {
        held.add(r.getString("pair_key"));
      }
    }
    return held;
  }

  /**
   * The first entry of {@code queue} the rater can take, leased to them. The scan starts at the
   * rater's mark ({@code rater_queue_marks}): every entry before it is one they can never take
   * (rated or skipped by them, or rated as often as it wanted), so however many of those pile up (a
   * lone rater's pairs waiting for a second rater) they are read once, not on every request. The
   * mark moves up to the first entry the rater might still take, now or later (one held by anyone,
   * or one free), or to the last entry read where all were of the first kind. An entry that becomes
   * takeable again (an undone rating) goes back at the end of the queue, above every mark ({@code
   * Ratings.undo}).
   */
  private Optional<Lease> fromQueue(CqlSession s, String rater, String queue, Set<String> held) {
    Instant now = Instant.now();
    Row markRow =
        s.execute(
                db.prepare(s, "SELECT rank FROM rater_queue_marks WHERE rater = ? AND queue = ?")
                    .bind(rater, queue))
            .one();
    long mark = markRow == null ? Long.MIN_VALUE : markRow.getLong("rank");
    Long newMark = null; // the first entry looked at that the rater might still take
    long lastRank = mark;
    int read = 0;
    int lookedInto = 0;
    Optional<Lease> out = Optional.empty();
    ResultSet rows =
        s.execute(
            db.prepare(
                    s,
                    "SELECT rank, pair_key, left_id, right_id, iteration, ratings_wanted,"
                        + " rated_by, leased_by, lease_until FROM rating_queue"
                        + " WHERE queue = ? AND rank >= ?")
                .bind(queue, mark)
                .setPageSize(200));
    for (Row r : rows) {
      if (++read > READ || lookedInto >= SCAN) {
        break;
      }
      long rank = r.getLong("rank");
      lastRank = rank;
      String key = r.getString("pair_key");
      String leasedBy = r.getString("leased_by");
      Instant until = r.getInstant("lease_until");
      Set<String> ratedBy = r.getSet("rated_by", String.class);
      if (ratedBy.size() >= Math.max(1, r.getInt("ratings_wanted"))) {
        // Rated enough while someone else held it: it goes once nobody holds it.
        lookedInto++;
        s.execute(
            db.prepare(
                    s,
                    "DELETE FROM rating_queue WHERE queue = ? AND rank = ? AND pair_key = ?"
                        + " IF lease_until < ?")
                .bind(queue, rank, key, now));
        continue;
      }
      if (ratedBy.contains(rater)) {
        continue;
      }
      if (held.contains(key) || (leasedBy != null && until != null && until.isAfter(now))) {
        newMark = newMark == null ? rank : newMark; // the lease ends, and the entry is back
        continue;
      }
      lookedInto++;
      if (seenBefore(s, rater, key)) {
        continue;
      }
      newMark = newMark == null ? rank : newMark;
      Instant newUntil = now.plus(settings.lease());
      if (claim(s, queue, rank, key, rater, newUntil, leasedBy, until)) {
        out =
            Optional.of(
                record(
                    s,
                    rater,
                    r.getString("left_id"),
                    r.getString("right_id"),
                    QUEUE,
                    queue,
                    rank,
                    r.getString("iteration"),
                    Math.max(1, r.getInt("ratings_wanted")),
                    null));
        break;
      }
    }
    // Where every entry looked at was one the rater can never take, the mark goes to the last of
    // them, not past it: entries of one rank (two admins adding at once) may not all have been
    // looked at.
    long moveTo = newMark != null ? newMark : lastRank;
    if (moveTo > mark) {
      s.execute(
          db.prepare(s, "UPDATE rater_queue_marks SET rank = ? WHERE rater = ? AND queue = ?")
              .bind(moveTo, rater, queue));
    }
    return out;
  }

  /** Whether the rater has rated or skipped this pair, in either order. */
  /** Whether {@code rater} has a rating of the pair, under any lease. */
  boolean rated(CqlSession s, String rater, String pairKey) {
    return s.execute(
                db.prepare(s, "SELECT rater FROM ratings_by_pair WHERE pair_key = ? AND rater = ?")
                    .bind(pairKey, rater))
            .one()
        != null;
  }

  private boolean seenBefore(CqlSession s, String rater, String pairKey) {
    return rated(s, rater, pairKey)
        || s.execute(
                    db.prepare(
                            s, "SELECT pair_key FROM rater_skips WHERE rater = ? AND pair_key = ?")
                        .bind(rater, pairKey))
                .one()
            != null;
  }

  private Optional<Lease> random(CqlSession s, String rater, Set<String> held) {
    for (int attempt = 0; attempt < 20; attempt++) {
      Optional<List<String>> pair = randomPair(s);
      if (pair.isEmpty()) {
        return Optional.empty(); // fewer than two images in the index
      }
      String a = pair.get().get(0);
      String b = pair.get().get(1);
      String key = PairKey.of(a, b);
      if (!held.contains(key) && !seenBefore(s, rater, key)) {
        return Optional.of(record(s, rater, a, b, RANDOM, null, null, null, 1, null));
      }
    }
    return Optional.empty();
  }

  /** Two different images of the index, each at a random token; empty if it has fewer than two. */
  Optional<List<String>> randomPair(CqlSession s) {
    String a = randomImage(s);
    if (a == null) {
      return Optional.empty();
    }
    for (int i = 0; i < 8; i++) {
      String b = randomImage(s);
      if (b != null && !b.equals(a)) {
        return Optional.of(
            ThreadLocalRandom.current().nextBoolean() ? List.of(a, b) : List.of(b, a));
      }
    }
    return Optional.empty();
  }

  private String randomImage(CqlSession s) {
    long token = ThreadLocalRandom.current().nextLong();
    Row r =
        s.execute(db.prepare(s, "SELECT id FROM images WHERE token(id) > ? LIMIT 1").bind(token))
            .one();
    if (r == null) {
      r = s.execute("SELECT id FROM images LIMIT 1").one(); // wrapped past the last token
    }
    return r == null ? null : r.getString("id");
  }

  static Lease toLease(Row r) {
    return new Lease(
        r.getString("rater"),
        r.getUuid("lease"),
        r.getString("pair_key"),
        r.getString("left_id"),
        r.getString("right_id"),
        r.getString("origin"),
        r.getString("queue"),
        r.isNull("rank") ? null : r.getLong("rank"),
        r.getString("iteration"),
        r.isNull("ratings_wanted") ? 1 : r.getInt("ratings_wanted"),
        r.getUuid("rating_id"),
        !r.isNull("released") && r.getBoolean("released"));
  }
}
