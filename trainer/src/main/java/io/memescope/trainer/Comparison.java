package io.memescope.trainer;

import io.memescope.core.rating.RatingScale;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One rated pair as training data: per dimension of the model, the soft target P(left beats right)
 * ({@link RatingScale#leftWins}), or NaN where the rating has no score for that dimension.
 *
 * @param targets one entry per model dimension, in the model's order
 */
public record Comparison(String leftId, String rightId, double[] targets) {

  public Comparison {
    if (leftId.equals(rightId)) {
      throw new IllegalArgumentException("a comparison needs two different images: " + leftId);
    }
    targets = targets.clone();
    for (double t : targets) {
      if (!Double.isNaN(t) && (t < 0 || t > 1)) {
        throw new IllegalArgumentException(
            "targets are probabilities: " + Arrays.toString(targets));
      }
    }
  }

  /**
   * A comparison from a rating's integer scores on the five-point scale (-2 left much better … 2
   * right much better); dimensions of the model that {@code scores} lacks become NaN, scores of
   * dimensions the model lacks are ignored.
   */
  public static Comparison fromScores(
      String leftId, String rightId, List<String> dimensions, Map<String, Integer> scores) {
    double[] targets = new double[dimensions.size()];
    for (int d = 0; d < targets.length; d++) {
      Integer v = scores.get(dimensions.get(d));
      targets[d] = v == null ? Double.NaN : RatingScale.leftWins(v);
    }
    return new Comparison(leftId, rightId, targets);
  }

  /** Whether at least one dimension has a target. */
  public boolean hasTarget() {
    for (double t : targets) {
      if (!Double.isNaN(t)) {
        return true;
      }
    }
    return false;
  }

  /** The same comparison seen from the other side (targets 1 − t). */
  public Comparison swapped() {
    double[] t = new double[targets.length];
    for (int d = 0; d < t.length; d++) {
      t[d] = 1 - targets[d];
    }
    return new Comparison(rightId, leftId, t);
  }

  @Override
  public double[] targets() {
    return targets.clone();
  }

  /** Target of dimension {@code d} without copying the array. */
  public double target(int d) {
    return targets[d];
  }

  public int dimensions() {
    return targets.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Comparison c
        && leftId.equals(c.leftId)
        && rightId.equals(c.rightId)
        && Arrays.equals(targets, c.targets);
  }

  @Override
  public int hashCode() {
    return (leftId.hashCode() * 31 + rightId.hashCode()) * 31 + Arrays.hashCode(targets);
  }

  @Override
  public String toString() {
    return "Comparison[" + leftId + " vs " + rightId + ": " + Arrays.toString(targets) + "]";
  }
}
