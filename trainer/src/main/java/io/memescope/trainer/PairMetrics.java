package io.memescope.trainer;

import java.util.List;

/**
 * Held-out figures of predicted win probabilities against rated pairs, pooled over pairs and
 * dimensions (unrated dimensions skipped).
 *
 * @param accuracy share of decided entries (target ≠ 0.5) where the predicted winner is the rated
 *     one; ties are left out
 * @param logLoss mean binary cross-entropy of the prediction against the soft target
 * @param calibrationError expected calibration error over 10 equal-width bins of the prediction: Σ
 *     (bin share) · |mean prediction − mean target|
 * @param entries rated (pair, dimension) entries
 * @param decided entries with a winner, the ones accuracy counts
 */
public record PairMetrics(
    double accuracy, double logLoss, double calibrationError, int entries, int decided) {
  public static final int BINS = 10;

  /** {@code p[i][d]}: predicted P(left beats right) of {@code pairs.get(i)} on dimension d. */
  public static PairMetrics of(double[][] p, List<Comparison> pairs) {
    int entries = 0;
    int decided = 0;
    double correct = 0;
    double loss = 0;
    double[] binP = new double[BINS];
    double[] binT = new double[BINS];
    int[] binN = new int[BINS];
    for (int i = 0; i < pairs.size(); i++) {
      Comparison c = pairs.get(i);
      for (int d = 0; d < c.dimensions(); d++) {
        double t = c.target(d);
        if (Double.isNaN(t)) {
          continue;
        }
        double q = Math.min(1 - 1e-7, Math.max(1e-7, p[i][d]));
        entries++;
        loss += -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
        if (t != 0.5) {
          decided++;
          // A model that cannot tell the two apart (P exactly 0.5, e.g. a collapsed one giving
          // every
          // image the same score) is right half the time, not whenever the right image won.
          correct += q == 0.5 ? 0.5 : (q > 0.5) == (t > 0.5) ? 1 : 0;
        }
        int bin = Math.min(BINS - 1, (int) (q * BINS));
        binP[bin] += q;
        binT[bin] += t;
        binN[bin]++;
      }
    }
    double ece = 0;
    for (int b = 0; b < BINS; b++) {
      if (binN[b] > 0) {
        ece += Math.abs(binP[b] - binT[b]) / Math.max(1, entries);
      }
    }
    return new PairMetrics(
        decided == 0 ? Double.NaN : correct / decided,
        entries == 0 ? Double.NaN : loss / entries,
        entries == 0 ? Double.NaN : ece,
        entries,
        decided);
  }
}
