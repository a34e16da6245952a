package io.memescope.rater;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import io.memescope.core.config.RaterSettings;
import io.memescope.core.rating.RatingQueue;
import io.memescope.core.rating.RatingScale;
import io.memescope.core.records.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Ratings: storing them (idempotent per lease, so that a client may retry any submission), undoing
 * the last one, counting them and exporting them. A rating is claimed in {@code ratings_by_pair}
 * (one row per pair and rater, written only by compare-and-set) and then written to {@code
 * ratings_by_rater}; a queued pair records its rater and is deleted once it has the ratings it
 * wanted.
 */
final class Ratings {
  /** A rating as stored. */
  record Stored(
      UUID id,
      String rater,
      UUID lease,
      String pairKey,
      String left,
      String right,
      Map<String, Integer> scores,
      String origin,
      String queue,
      Long rank,
      String iteration,
      int ratingsWanted) {
    Instant ratedAt() {
      return Instant.ofEpochMilli(Uuids.unixTimestamp(id));
    }
  }

  /** An undone rating and the new lease that hands its pair back to the rater. */
  record Undone(Stored rating, Pairs.Lease lease) {}

  private final Db db;
  private final Pairs pairs;
  private final RaterSettings settings;

  Ratings(Db db, Pairs pairs, RaterSettings settings) {
    this.db = db;
    this.pairs = pairs;
    this.settings = settings;
  }

  /**
   * Checks {@code scores} against the configured dimensions: every one present, each on the scale,
   * nothing else.
   */
  Map<String, Integer> validate(Map<String, Object> scores) {
    if (scores == null) {
      throw ApiException.badRequest("scores", "is required: one value per dimension");
    }
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String d : settings.dimensions()) {
      Object v = scores.get(d);
      if (v == null) {
        throw ApiException.badRequest("scores." + d, "is required");
      }
      if (!(v instanceof Integer i) || !RatingScale.valid(i)) {
        throw ApiException.badRequest(
            "scores." + d,
            "must be an integer from -2 (left much better) to 2 (right much better)");
      }
      out.put(d, i);
    }
    for (String k : scores.keySet()) {
      if (!settings.dimensions().contains(k)) {
        throw ApiException.badRequest(
            "scores." + k, "is not a dimension; the dimensions are " + settings.dimensions());
      }
    }
    return out;
  }

  /**
   * Stores the rating of a lease; the same lease again gives the same rating id. Again with other
   * scores it replaces them: the page sends that when its first attempt's answer was lost and the
   * rater corrected the rating before it knew the first had landed.
   */
  UUID submit(Pairs.Lease lease, Map<String, Integer> scores) {
    return db.call(
        s -> {
          UUID id = lease.ratingId();
          if (id == null) {
            // Checked here, before the lease is claimed, for the answer a rater mostly gets; the
            // claim in ratingsByPair is what holds when two pages submit at the same instant.
            if (pairs.rated(s, lease.rater(), lease.pairKey())) {
              throw ratedAlready();
            }
            UUID fresh = Uuids.timeBased();
            ResultSet claim =
                s.execute(
                    db.prepare(
                            s,
                            "UPDATE rater_leases SET rating_id = ?, released = true"
                                + " WHERE rater = ? AND lease = ? IF rating_id = null")
                        .bind(fresh, lease.rater(), lease.id()));
            id = claim.wasApplied() ? fresh : claim.one().getUuid("rating_id");
            if (id == null) {
              throw new ApiException(409, "unknown or expired lease", "lease", 0, null);
            }
          }
          // Written again on a retry: the same rows, so a retry after a crash between the claim
          // and these writes still stores the rating.
          write(s, lease, id, scores);
          return id;
        });
  }

  private static ApiException ratedAlready() {
    return new ApiException(
        409,
        "you have rated this pair already (on another page); undo that rating to change it",
        "lease",
        0,
        null);
  }

  private void write(CqlSession s, Pairs.Lease l, UUID id, Map<String, Integer> scores) {
    claimPair(s, l, id, scores);
    s.execute(
        db.prepare(
                s,
                "INSERT INTO ratings_by_rater (rater, rating_id, lease, pair_key, left_id,"
                    + " right_id, scores, origin, queue, rank, iteration, ratings_wanted)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(
                l.rater(),
                id,
                l.id(),
                l.pairKey(),
                l.left(),
                l.right(),
                scores,
                l.origin(),
                l.queue(),
                l.rank(),
                l.iteration(),
                l.ratingsWanted()));
    // Read the pair's raters after writing this rating, not before: of two raters submitting the
    // same pair at once, the one whose read comes last then sees the other's rating (reading
    // first, both could see none and the pair would never count as shared).
    boolean shared = false;
    for (Row r :
        s.execute(
            db.prepare(s, "SELECT rater FROM ratings_by_pair WHERE pair_key = ?")
                .bind(l.pairKey()))) {
      shared |= !r.getString("rater").equals(l.rater());
    }
    if (shared) {
      s.execute(
          db.prepare(s, "INSERT INTO shared_pairs (pair_key, since) VALUES (?, ?) IF NOT EXISTS")
              .bind(l.pairKey(), Instant.now()));
    }
    if (Pairs.QUEUE.equals(l.origin())) {
      rated(s, l);
    }
  }

  /**
   * One rating per rater and pair: the same pair on two pages (a lease released by a page opened on
   * another device, then leased again) is rated on the first to land, and the other is refused
   * (409). The row in {@code ratings_by_pair} is the claim, inserted only if absent; the same
   * rating id again (a retry of the same lease) replaces its scores. Until 2026-12-06 the check was
   * a read before an unconditional write, and two pages submitting at the same instant both passed
   * it: the rater had two ratings of the pair in {@code ratings_by_rater} (counted twice, exported
   * twice) and one here. Every write to this table is a compare-and-set, so that the claims and the
   * undo's delete are ordered by Paxos, not by clocks. The row here is written before the one in
   * {@code ratings_by_rater}: what training reads lands first, and a crash between the two is
   * mended by the page's retry of the same lease.
   */
  private void claimPair(CqlSession s, Pairs.Lease l, UUID id, Map<String, Integer> scores) {
    ResultSet claim =
        s.execute(
            db.prepare(
                    s,
                    "INSERT INTO ratings_by_pair (pair_key, rater, rating_id, left_id, right_id,"
                        + " scores) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS")
                .bind(l.pairKey(), l.rater(), id, l.left(), l.right(), scores));
    if (claim.wasApplied()) {
      return;
    }
    Row held = claim.one();
    if (!id.equals(held.getUuid("rating_id"))) {
      throw ratedAlready();
    }
    if (!scores.equals(held.getMap("scores", String.class, Integer.class))) {
      boolean replaced =
          s.execute(
                  db.prepare(
                          s,
                          "UPDATE ratings_by_pair SET scores = ? WHERE pair_key = ? AND rater = ?"
                              + " IF rating_id = ?")
                      .bind(scores, l.pairKey(), l.rater(), id))
              .wasApplied();
      if (!replaced) { // undone meanwhile
        throw new ApiException(409, "unknown or expired lease", "lease", 0, null);
      }
    }
  }

  /** Records the rater on the queue entry, frees it, and deletes it once it has its ratings. */
  private void rated(CqlSession s, Pairs.Lease l) {
    Set<String> me = Set.of(l.rater());
    boolean mine =
        s.execute(
                db.prepare(
                        s,
                        "UPDATE rating_queue SET rated_by = rated_by + ?, leased_by = null,"
                            + " lease_until = ? WHERE queue = ? AND rank = ? AND pair_key = ?"
                            + " IF leased_by = ?")
                    .bind(me, Pairs.NO_LEASE, l.queue(), l.rank(), l.pairKey(), l.rater()))
            .wasApplied();
    if (!mine) { // the lease ran out and someone else holds it, or the entry is gone
      s.execute(
          db.prepare(
                  s,
                  "UPDATE rating_queue SET rated_by = rated_by + ?"
                      + " WHERE queue = ? AND rank = ? AND pair_key = ? IF EXISTS")
              .bind(me, l.queue(), l.rank(), l.pairKey()));
    }
    Row r =
        s.execute(
                db.prepare(
                        s,
                        "SELECT rated_by, ratings_wanted FROM rating_queue"
                            + " WHERE queue = ? AND rank = ? AND pair_key = ?")
                    .bind(l.queue(), l.rank(), l.pairKey()))
            .one();
    if (r != null && r.getSet("rated_by", String.class).size() >= r.getInt("ratings_wanted")) {
      s.execute(
          db.prepare(
                  s,
                  "DELETE FROM rating_queue WHERE queue = ? AND rank = ? AND pair_key = ?"
                      + " IF lease_until < ?")
              .bind(l.queue(), l.rank(), l.pairKey(), Instant.now()));
    }
  }

  /**
   * Undoes the rater's latest rating if it is younger than {@code rater.undo-window}: hands the
   * pair back to the rater on a new lease (a queued pair back in its queue), then deletes the
   * rating.
   *
   * @param expected the lease of the rating the caller means to undo, or null: whichever is the
   *     latest. When given and the latest rating is another (this one was undone already by a
   *     request whose answer was lost, or a rating came after it), nothing is undone: a 409. An
   *     undo sent again must not take back the rating before the one meant.
   */
  Optional<Undone> undo(String rater, UUID expected) {
    return db.call(
        s -> {
          Row r =
              s.execute(
                      db.prepare(s, "SELECT * FROM ratings_by_rater WHERE rater = ? LIMIT 1")
                          .bind(rater))
                  .one();
          if (r == null) {
            return Optional.empty();
          }
          Stored rating = toStored(r);
          if (expected != null && !expected.equals(rating.lease())) {
            throw new ApiException(
                409,
                "nothing undone: that rating is not your latest one (undone already, or rated"
                    + " again after it)",
                "lease",
                0,
                null);
          }
          if (rating.ratedAt().isBefore(Instant.now().minus(settings.undoWindow()))) {
            return Optional.empty();
          }
          // The pair is handed back before the rating goes: an undo that fails between its writes
          // (Cassandra away) leaves the rating stored and the pair held for the rater, and the
          // undo sent again finishes it on the same lease. Until 2026-12-07 the rating went first,
          // and a failure before the pair was put back lost a queued pair from the queue for good.
          Pairs.Lease lease = handBack(s, rater, rating);
          midUndo.accept("deletes");
          // Compare-and-set, as every write there (claimPair): the row goes only if it is this
          // rating's (a rating of the pair stored twice before 2026-12-06 keeps the other's).
          s.execute(
              db.prepare(
                      s,
                      "DELETE FROM ratings_by_pair WHERE pair_key = ? AND rater = ?"
                          + " IF rating_id = ?")
                  .bind(rating.pairKey(), rater, rating.id()));
          s.execute(
              db.prepare(s, "DELETE FROM ratings_by_rater WHERE rater = ? AND rating_id = ?")
                  .bind(rater, rating.id()));
          // The old lease goes, so that a late retry of the undone submission finds no lease
          // (409) instead of storing the rating again.
          s.execute(
              db.prepare(s, "DELETE FROM rater_leases WHERE rater = ? AND lease = ?")
                  .bind(rater, rating.lease()));
          return Optional.of(new Undone(rating, lease));
        });
  }

  /**
   * Runs inside an undo, told where: "queue" after the hand-back's lease is written and before the
   * queue's writes, "requeued" after the pair's new entry is written and before its old one is
   * deleted, "deletes" before the rating is deleted. Tests fail the undo there.
   */
  volatile java.util.function.Consumer<String> midUndo = stage -> {};

  /**
   * The lease an earlier try of this undo handed the pair back on (it names the rating), if that
   * try failed before the rating was deleted; released or not.
   */
  private Optional<Pairs.Lease> handedBack(CqlSession s, Stored rating) {
    Pairs.Lease found = null;
    for (Row r :
        s.execute(
            db.prepare(s, "SELECT * FROM rater_leases WHERE rater = ?").bind(rating.rater()))) {
      if (!r.isNull("pair_key") && rating.id().equals(r.getUuid("handed_back_for"))) {
        Pairs.Lease l = Pairs.toLease(r);
        if (found == null || Uuids.unixTimestamp(l.id()) > Uuids.unixTimestamp(found.id())) {
          found = l;
        }
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * Hands an undone rating's pair back on a new lease that names the rating, and puts a queued pair
   * back into its queue. The lease is written first, with the queue place chosen for the pair, so
   * that an undo sent again after a failure here finds it. The place an earlier try chose is kept
   * only if that try wrote the pair's entry there (each of the queue's writes may then be made
   * again); otherwise it is chosen again from the queue as it is now (another rater may have taken
   * or rated the old entry meanwhile). A lease released in between (the page reloaded) is replaced
   * by another at the same place, which takes the entry back for the rater if it is free.
   */
  private Pairs.Lease handBack(CqlSession s, String rater, Stored rating) {
    Optional<Pairs.Lease> earlier = handedBack(s, rating);
    if (!Pairs.QUEUE.equals(rating.origin())) {
      return earlier
          .filter(l -> !l.released())
          .orElseGet(
              () ->
                  pairs.record(
                      s,
                      rater,
                      rating.left(),
                      rating.right(),
                      rating.origin(),
                      null,
                      null,
                      null,
                      1,
                      rating.id()));
    }
    // An entry an admin cleared from the queue: the pair is handed back (the rater means to rate
    // it again), but not put back into the queue the admin emptied.
    boolean cleared =
        new RatingQueue(s)
            .clearedAt(rating.queue())
            .filter(t -> clearedBefore(rating, t))
            .isPresent();
    Long kept =
        earlier
            .map(Pairs.Lease::rank)
            .filter(r -> !cleared && !r.equals(rating.rank()) && entryAt(s, rating, r))
            .orElse(null);
    long rank = kept != null ? kept : cleared ? rating.rank() : place(s, rating);
    Pairs.Lease lease;
    if (earlier.isPresent()
        && !earlier.get().released()
        && Long.valueOf(rank).equals(earlier.get().rank())) {
      lease = earlier.get();
    } else {
      lease =
          pairs.record(
              s,
              rater,
              rating.left(),
              rating.right(),
              Pairs.QUEUE,
              rating.queue(),
              rank,
              rating.iteration(),
              rating.ratingsWanted(),
              rating.id());
      if (kept != null) {
        pairs.claim(
            s,
            rating.queue(),
            rank,
            rating.pairKey(),
            rater,
            Instant.now().plus(settings.lease()),
            null,
            null);
      }
    }
    midUndo.accept("queue");
    if (!cleared) {
      requeue(s, rating, rank);
    }
    return lease;
  }

  /** Whether {@code rating}'s pair has an entry at {@code rank} of its queue. */
  private boolean entryAt(CqlSession s, Stored rating, long rank) {
    return s.execute(
                db.prepare(
                        s,
                        "SELECT left_id FROM rating_queue"
                            + " WHERE queue = ? AND rank = ? AND pair_key = ?")
                    .bind(rating.queue(), rank, rating.pairKey()))
            .one()
        != null;
  }

  /**
   * Whether a queue cleared at {@code clearedAt} took out the entry {@code rating} was made from: a
   * clear after the rating, or after the entry was enqueued (its rank is at least its enqueue time
   * in microseconds, {@code RatingQueue#firstRank}), so that a pair held when the queue was cleared
   * and rated after it, or handed back by an undo and rated again, is not put back either. Until
   * 2026-12-07 only the first counted. An entry enqueued within the clock difference between the
   * enqueuing machine and the admin's can be judged either way.
   */
  static boolean clearedBefore(Stored rating, Instant clearedAt) {
    long clearedMicros = clearedAt.getEpochSecond() * 1_000_000 + clearedAt.getNano() / 1_000;
    return !clearedAt.isBefore(rating.ratedAt())
        || (rating.rank() != null && rating.rank() < clearedMicros);
  }

  /**
   * Where an undone queued pair goes back: at the end of the queue, not at its old rank: raters'
   * marks ({@code rater_queue_marks}) may have passed the old one while the entry could not be
   * taken (rated by this rater, or rated as often as it wanted and deleted), and would hide it from
   * them.
   *
   * <p>Except while another rater holds the entry (a pair wanted more than once): it stays where it
   * is, theirs (its rank is returned), and only this rater comes off its {@code rated_by}; their
   * rating of it will be recorded on it (through the fallback of {@code rated}). Until 2026-12-06
   * the entry was moved from under them, and their rating, recorded on an entry that was gone,
   * never counted, so the pair always went to one rater more than it wanted. It still can, less
   * often: this rater's lease is not marked on the entry, so once the other rater is done, a third
   * may take it before this one rates it again.
   */
  private long place(CqlSession s, Stored r) {
    Instant now = Instant.now();
    Row old =
        s.execute(
                db.prepare(
                        s,
                        "SELECT leased_by, lease_until FROM rating_queue"
                            + " WHERE queue = ? AND rank = ? AND pair_key = ?")
                    .bind(r.queue(), r.rank(), r.pairKey()))
            .one();
    if (old != null
        && old.getString("leased_by") != null
        && !old.getString("leased_by").equals(r.rater())
        && old.getInstant("lease_until") != null
        && old.getInstant("lease_until").isAfter(now)) {
      return r.rank();
    }
    return new RatingQueue(s).nextRank(r.queue(), now);
  }

  /**
   * Puts an undone queued pair back at {@code rank} ({@link #place}), held by its rater, without
   * their rating; at its old rank, takes only this rater off its {@code rated_by}. Each write may
   * be made again: the new entry is inserted only if it is not there (a retry must not take it from
   * a rater who leased it since), and the old one deleted after it, so the pair is never out of the
   * queue.
   */
  private void requeue(CqlSession s, Stored r, long rank) {
    if (rank == r.rank()) {
      s.execute(
          db.prepare(
                  s,
                  "UPDATE rating_queue SET rated_by = rated_by - ?"
                      + " WHERE queue = ? AND rank = ? AND pair_key = ? IF EXISTS")
              .bind(Set.of(r.rater()), r.queue(), r.rank(), r.pairKey()));
      return;
    }
    Instant now = Instant.now();
    Set<String> others = new HashSet<>();
    for (Row row :
        s.execute(
            db.prepare(s, "SELECT rater FROM ratings_by_pair WHERE pair_key = ?")
                .bind(r.pairKey()))) {
      others.add(row.getString("rater"));
    }
    others.remove(r.rater());
    s.execute(
        db.prepare(
                s,
                "INSERT INTO rating_queue (queue, rank, pair_key, left_id, right_id, iteration,"
                    + " ratings_wanted, rated_by, leased_by, lease_until, enqueued_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS")
            .bind(
                r.queue(),
                rank,
                r.pairKey(),
                r.left(),
                r.right(),
                r.iteration(),
                r.ratingsWanted(),
                others,
                r.rater(),
                now.plus(settings.lease()),
                now));
    midUndo.accept("requeued");
    // Only while no one holds the old entry: another rater may have taken it between the choice of
    // the new place and here, or between a failure here and the undo sent again (it is free once
    // rated). Until 2026-12-07 it was deleted from under them, and their rating never counted on
    // any entry. Left to them, the pair is queued twice, with this rater still on the old entry's
    // rated_by (its rating undone) and the new entry not counting those who rate the old one from
    // now on: the pair gets more ratings than it wanted, one more when it wanted two, up to
    // wanted - 1 more (fewer for each rater who had rated it before this undo).
    boolean deleted =
        s.execute(
                db.prepare(
                        s,
                        "DELETE FROM rating_queue WHERE queue = ? AND rank = ? AND pair_key = ?"
                            + " IF lease_until < ?")
                    .bind(r.queue(), r.rank(), r.pairKey(), now))
            .wasApplied();
    if (!deleted) {
      // Held by this rater still (the rating's last write, which frees the entry, failed): it
      // goes all the same, or another rater would take it once the lease ran out, and the pair
      // be queued and rated twice.
      s.execute(
          db.prepare(
                  s,
                  "DELETE FROM rating_queue WHERE queue = ? AND rank = ? AND pair_key = ?"
                      + " IF leased_by = ?")
              .bind(r.queue(), r.rank(), r.pairKey(), r.rater()));
    }
  }

  /** The rater's ratings since the start of today in {@code zone}, and in all. */
  long[] counts(String rater, ZoneId zone) {
    Instant midnight = LocalDate.now(zone).atStartOfDay(zone).toInstant();
    return db.call(
        s -> {
          long today =
              s.execute(
                      db.prepare(
                              s,
                              "SELECT count(*) FROM ratings_by_rater WHERE rater = ?"
                                  + " AND rating_id >= ?")
                          .bind(rater, Uuids.startOf(midnight.toEpochMilli())))
                  .one()
                  .getLong(0);
          long total =
              s.execute(
                      db.prepare(s, "SELECT count(*) FROM ratings_by_rater WHERE rater = ?")
                          .bind(rater))
                  .one()
                  .getLong(0);
          return new long[] {today, total};
        });
  }

  /** Writes every rating as one JSON object per line (JSONL), rater by rater, newest first. */
  void export(OutputStream out) {
    db.call(
        s -> {
          ResultSet rows =
              s.execute(
                  SimpleStatement.newInstance("SELECT * FROM ratings_by_rater").setPageSize(1000));
          try {
            for (Row r : rows) {
              Stored st = toStored(r);
              Map<String, Object> line = new LinkedHashMap<>();
              line.put("id", st.id().toString());
              line.put("rater", st.rater());
              line.put("left", st.left());
              line.put("right", st.right());
              line.put("scores", st.scores());
              line.put("origin", st.origin());
              line.put("queue", st.queue());
              line.put("iteration", st.iteration());
              line.put("ratedAt", st.ratedAt().toString());
              out.write(Json.write(line));
              out.write('\n');
            }
            out.flush();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          return null;
        });
  }

  static Stored toStored(Row r) {
    return new Stored(
        r.getUuid("rating_id"),
        r.getString("rater"),
        r.getUuid("lease"),
        r.getString("pair_key"),
        r.getString("left_id"),
        r.getString("right_id"),
        new LinkedHashMap<>(r.getMap("scores", String.class, Integer.class)),
        r.getString("origin"),
        r.getString("queue"),
        r.isNull("rank") ? null : r.getLong("rank"),
        r.getString("iteration"),
        r.isNull("ratings_wanted") ? 1 : r.getInt("ratings_wanted"));
  }
}
