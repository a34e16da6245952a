package io.memescope.rater;

import com.datastax.oss.driver.api.core.cql.Row;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.memescope.core.config.RaterSettings;
import io.memescope.core.rating.RatingQueue;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Progress and agreement figures: each rater's ratings today and in all, queue depths, and
 * agreement on shared pairs. The figures of everyone are kept for 10 s and agreement for 30 s, so
 * that a room of raters polling them costs Cassandra little.
 */
final class RaterStats {
  private final Db db;
  private final Accounts accounts;
  private final Ratings ratings;
  private final RaterSettings settings;
  private final Cache<String, Object> cache =
      Caffeine.newBuilder().maximumSize(1_000).expireAfterWrite(Duration.ofSeconds(10)).build();
  private final Cache<String, Map<String, Agreement.Dimension>> agreement =
      Caffeine.newBuilder().maximumSize(1).expireAfterWrite(Duration.ofSeconds(30)).build();

  RaterStats(Db db, Accounts accounts, Ratings ratings, RaterSettings settings) {
    this.db = db;
    this.accounts = accounts;
    this.ratings = ratings;
    this.settings = settings;
  }

  Map<String, Object> me(String rater, ZoneId zone) {
    long[] c = ratings.counts(rater, zone);
    return Map.of("today", c[0], "total", c[1]);
  }

  int depth(String queue) {
    return (Integer)
        cache.get("depth:" + queue, k -> db.call(s -> new RatingQueue(s).depth(queue)));
  }

  @SuppressWarnings("unchecked")
  List<Map<String, Object>> raters(ZoneId zone) {
    return (List<Map<String, Object>>)
        cache.get(
            "raters:" + zone.getId(),
            k -> {
              List<Map<String, Object>> out = new ArrayList<>();
              for (Accounts.Rater r : accounts.all()) {
                long[] c = ratings.counts(r.username(), zone);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("username", r.username());
                m.put("today", c[0]);
                m.put("total", c[1]);
                out.add(m);
              }
              return out;
            });
  }

  Map<String, Object> agreement() {
    Map<String, Agreement.Dimension> dims = agreement.get("all", k -> compute());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pairs", dims.values().stream().mapToInt(Agreement.Dimension::pairs).max().orElse(0));
    out.put("dimensions", dims);
    return out;
  }

  private Map<String, Agreement.Dimension> compute() {
    return db.call(
        s -> {
          List<List<Agreement.Vote>> pairs = new ArrayList<>();
          for (Row p : s.execute("SELECT pair_key FROM shared_pairs")) {
            List<Agreement.Vote> votes = new ArrayList<>();
            for (Row r :
                s.execute(
                    db.prepare(
                            s,
                            "SELECT rater, left_id, right_id, scores FROM ratings_by_pair"
                                + " WHERE pair_key = ?")
                        .bind(p.getString("pair_key")))) {
              votes.add(
                  new Agreement.Vote(
                      r.getString("rater"),
                      r.getString("left_id"),
                      r.getString("right_id"),
                      r.getMap("scores", String.class, Integer.class)));
            }
            pairs.add(votes);
          }
          return Agreement.of(settings.dimensions(), pairs);
        });
  }
}
