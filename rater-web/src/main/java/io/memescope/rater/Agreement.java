package io.memescope.rater;

import io.memescope.core.rating.PairKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Agreement between raters on the pairs that two or more of them rated, per dimension: the share of
 * rater pairs that chose the same side (or both a tie), the share that chose the same point of the
 * scale, and Krippendorff's alpha with the interval metric (1 perfect agreement, 0 no better than
 * chance). Ratings are turned to one orientation first, since raters may see a pair either way
 * round.
 */
final class Agreement {
  /** One rater's rating of a pair, as shown to them. */
  record Vote(String rater, String left, String right, Map<String, Integer> scores) {
    int oriented(String dimension) {
      int v = scores.get(dimension);
      return PairKey.inKeyOrder(left, right) ? v : -v;
    }
  }

  /** Agreement on one dimension; the shares and alpha are null without shared pairs. */
  record Dimension(int pairs, Double sameSide, Double exact, Double alpha) {}

  private Agreement() {}

  /** {@code pairs}: the votes on each pair, any number of votes each. */
  static Map<String, Dimension> of(List<String> dimensions, List<List<Vote>> pairs) {
    Map<String, Dimension> out = new LinkedHashMap<>();
    for (String d : dimensions) {
      List<int[]> units = new ArrayList<>();
      for (List<Vote> votes : pairs) {
        int[] values =
            votes.stream()
                .filter(v -> v.scores().containsKey(d))
                .mapToInt(v -> v.oriented(d))
                .toArray();
        if (values.length >= 2) {
          units.add(values);
        }
      }
      out.put(d, dimension(units));
    }
    return out;
  }

  static Dimension dimension(List<int[]> units) {
    if (units.isEmpty()) {
      return new Dimension(0, null, null, null);
    }
    long couples = 0;
    long same = 0;
    long exact = 0;
    for (int[] u : units) {
      for (int i = 0; i < u.length; i++) {
        for (int j = i + 1; j < u.length; j++) {
          couples++;
          same += Integer.signum(u[i]) == Integer.signum(u[j]) ? 1 : 0;
          exact += u[i] == u[j] ? 1 : 0;
        }
      }
    }
    return new Dimension(
        units.size(), same / (double) couples, exact / (double) couples, alpha(units));
  }

  /** Krippendorff's alpha, interval metric; null when every value is the same (undefined). */
  static Double alpha(List<int[]> units) {
    long n = 0;
    double observed = 0;
    long[] counts = new long[5]; // values -2..2
    for (int[] u : units) {
      n += u.length;
      double within = 0;
      for (int i = 0; i < u.length; i++) {
        counts[u[i] + 2]++;
        for (int j = 0; j < u.length; j++) {
          within += (u[i] - u[j]) * (u[i] - u[j]);
        }
      }
      observed += within / (u.length - 1);
    }
    observed /= n;
    double expected = 0;
    for (int a = 0; a < 5; a++) {
      for (int b = 0; b < 5; b++) {
        expected += (double) counts[a] * counts[b] * (a - b) * (a - b);
      }
    }
    expected /= (double) n * (n - 1);
    return expected == 0 ? null : 1 - observed / expected;
  }
}
