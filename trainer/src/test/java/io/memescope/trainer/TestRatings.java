package io.memescope.trainer;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.rating.PairKey;
import java.util.Map;

/** Ratings written as the rater app stores them, for the trainer's tests. */
final class TestRatings {
  private TestRatings() {}

  /**
   * One rating (origin random): a row in {@code ratings_by_rater} and one in {@code
   * ratings_by_pair}.
   */
  static void store(
      CqlSession cql, String rater, String left, String right, Map<String, Integer> scores) {
    cql.execute(
        cql.prepare(
                "INSERT INTO ratings_by_rater (rater, rating_id, pair_key, left_id, right_id,"
                    + " scores, origin) VALUES (?, now(), ?, ?, ?, ?, 'random')")
            .bind(rater, PairKey.of(left, right), left, right, scores));
    cql.execute(
        cql.prepare(
                "INSERT INTO ratings_by_pair (pair_key, rater, left_id, right_id, scores)"
                    + " VALUES (?, ?, ?, ?, ?)")
            .bind(PairKey.of(left, right), rater, left, right, scores));
  }
}
