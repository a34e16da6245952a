package io.memescope.core.quality;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model version's score distribution: per dimension, the 0th to 100th percentiles of the raw
 * scores over the images it was fitted on. Turns raw scores, which mean nothing across versions,
 * into percentiles in [0, 1], which do: an image's quality is the mean of its dimensions'
 * percentiles.
 *
 * @param percentiles dimension → 101 ascending raw scores (the 0th, 1st, …, 100th percentile)
 */
public record ScoreQuantiles(Map<String, float[]> percentiles) {
  public static final int POINTS = 101;

  /** The quantiles of {@code scores} ([image][dimension], dimensions in {@code dimensions}). */
  public static ScoreQuantiles of(List<String> dimensions, float[][] scores) {
    if (scores.length == 0) {
      throw new IllegalArgumentException("no scores to take quantiles of");
    }
    for (float[] row : scores) {
      for (float v : row) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException(
              "the model gives non-finite scores (" + v + "): it diverged; not publishable");
        }
      }
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    for (int d = 0; d < dimensions.size(); d++) {
      float[] column = new float[scores.length];
      for (int i = 0; i < scores.length; i++) {
        column[i] = scores[i][d];
      }
      Arrays.sort(column);
      float[] q = new float[POINTS];
      for (int p = 0; p < POINTS; p++) {
        double pos = p / 100.0 * (column.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(column.length - 1, lo + 1);
        q[p] = (float) (column[lo] + (pos - lo) * (column[hi] - column[lo]));
      }
      out.put(dimensions.get(d), q);
    }
    return new ScoreQuantiles(out);
  }

  /** Where {@code score} falls in the dimension's distribution, in [0, 1], interpolated. */
  public float percentile(String dimension, float score) {
    float[] q = percentiles.get(dimension);
    if (q == null) {
      throw new IllegalArgumentException("no quantiles for dimension " + dimension);
    }
    if (Float.isNaN(score)) {
      throw new IllegalArgumentException("score on " + dimension + " is NaN");
    }
    // -0.0 is 0.0 here: Arrays.binarySearch orders -0.0 before 0.0, and would find no place for it
    // between a quantile of 0.0 and the one below (an index out of bounds at the lowest).
    score += 0.0f;
    // Strictly outside: a score equal to the lowest or highest quantile goes through the search
    // below, so that a share of the sample tied there (a dead unit's constant output) gets the
    // middle of its stretch, not 0 or 1 (0 on every dimension reads as unscored in serving).
    if (score < q[0]) {
      return 0f;
    }
    if (score > q[POINTS - 1]) {
      return 1f;
    }
    int i = Arrays.binarySearch(q, score);
    if (i >= 0) { // equal to a quantile (several, if the distribution has a flat stretch)
      int lo = i;
      int hi = i;
      while (lo > 0 && q[lo - 1] == score) {
        lo--;
      }
      while (hi < POINTS - 1 && q[hi + 1] == score) {
        hi++;
      }
      return (lo + hi) / 2f / 100f;
    }
    int hi = -i - 1;
    int lo = hi - 1;
    float within = (score - q[lo]) / (q[hi] - q[lo]);
    return (lo + within) / 100f;
  }

  /** Percentiles of one image's raw scores, in the order of {@code dimensions}. */
  public float[] percentiles(List<String> dimensions, float[] scores) {
    float[] out = new float[dimensions.size()];
    for (int d = 0; d < out.length; d++) {
      out[d] = percentile(dimensions.get(d), scores[d]);
    }
    return out;
  }

  /** An image's overall quality: the mean of its dimensions' percentiles. */
  public static float overall(float[] percentiles) {
    double sum = 0;
    for (float p : percentiles) {
      sum += p;
    }
    return percentiles.length == 0 ? 0f : (float) (sum / percentiles.length);
  }
}
