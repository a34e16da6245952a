package io.memescope.trainer.data;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.memescope.core.rating.PairKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ratings people gave on the rater app, from Cassandra's {@code ratings_by_pair}: one per rater
 * and pair, paged by the driver. That table, not {@code ratings_by_rater}, is what counts: the
 * rater app claims a pair for a rater here before it writes {@code ratings_by_rater}, so a rater
 * rates a pair once. Ratings stored before 2026-12-06 by two tabs submitting one pair at the same
 * instant have both ratings in {@code ratings_by_rater} and one here.
 */
public final class StoredRatings {
  /** One rating: scores -2..2 per dimension about the pair as shown (left, right). */
  public record Rating(String rater, String left, String right, Map<String, Integer> scores) {}

  private final CqlSession session;

  public StoredRatings(CqlSession session) {
    this.session = session;
  }

  public List<Rating> all() {
    List<Rating> out = new ArrayList<>();
    for (Row r :
        session.execute(
            SimpleStatement.newInstance(
                    "SELECT rater, left_id, right_id, scores FROM ratings_by_pair")
                .setPageSize(5000))) {
      out.add(
          new Rating(
              r.getString("rater"),
              r.getString("left_id"),
              r.getString("right_id"),
              r.getMap("scores", String.class, Integer.class)));
    }
    return out;
  }

  /**
   * The pairs (as {@link PairKey}s) rated by anyone, or waiting in any rating queue. The queues are
   * read first: a queued pair rated meanwhile leaves its queue after its rating is stored, so it is
   * in one read or the other. Read the other way round (until 2026-12-07), a pair rated between the
   * two reads was in neither, and could be queued again. An undo does the opposite (its rating
   * goes, then its pair is queued again), so an undo whose two writes both fall between the reads
   * is in neither now: milliseconds apart, against a rating whose rater took seconds.
   */
  public Set<String> ratedOrQueued() {
    Set<String> out = new HashSet<>();
    for (Row r :
        session.execute(
            SimpleStatement.newInstance("SELECT pair_key FROM rating_queue").setPageSize(5000))) {
      out.add(r.getString("pair_key"));
    }
    for (Row r :
        session.execute(
            SimpleStatement.newInstance("SELECT pair_key FROM ratings_by_pair")
                .setPageSize(5000))) {
      out.add(r.getString("pair_key"));
    }
    return out;
  }
}
