package io.memescope.trainer;

import io.memescope.core.quality.QualityModel;
import io.memescope.core.rating.PairKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Chooses which pairs raters should rate next. Samples {@code candidates} random pairs from the
 * given images, scores each by the strategy, and picks a batch greedily, best first, with a
 * diversity penalty so that the batch is not redundant:
 *
 * <ul>
 *   <li>{@link Strategy#DISAGREEMENT}: the variance across ensemble members of P(left beats right),
 *       averaged over dimensions: where the members disagree, a rating teaches the most.
 *   <li>{@link Strategy#UNCERTAINTY}: closeness of the ensemble's P to 0.5, 1 − 2·|P − 0.5|
 *       averaged over dimensions.
 *   <li>{@link Strategy#INFORMATION}: the members' disagreement as mutual information (BALD): the
 *       entropy of the ensemble's P minus the members' mean entropy, averaged over dimensions.
 *   <li>{@link Strategy#RANDOM}: uniform random pairs (the baseline); no diversity penalty.
 * </ul>
 *
 * <p>Diversity: a candidate's score is multiplied by (1 − diversity · s), where s is the largest
 * |cosine| between its pair-difference embedding (left − right) and those of the pairs already
 * chosen, and a pair whose image is already in the batch is skipped (while others remain). With
 * diversity 0 the batch is simply the top scores.
 */
public final class ActiveLearning {

  /** How candidates are scored. */
  public enum Strategy {
    DISAGREEMENT,
    UNCERTAINTY,
    INFORMATION,
    RANDOM;

    /** Parses {@code disagreement}, {@code uncertainty} or {@code random}, any case. */
    public static Strategy parse(String name) {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param candidates random pairs sampled and scored
   * @param batchSize pairs returned
   * @param diversity weight of the similarity penalty, in [0, 1]
   */
  public record Options(
      Strategy strategy, int candidates, int batchSize, double diversity, long seed) {
    public Options {
      if (candidates < 1 || batchSize < 1) {
        throw new IllegalArgumentException("candidates and batchSize must be positive");
      }
      if (!(diversity >= 0 && diversity <= 1)) {
        throw new IllegalArgumentException("diversity must be in [0, 1]");
      }
    }

    /** The defaults of {@code trainer.active} in memescope-defaults.conf. */
    public static Options defaults() {
      return new Options(Strategy.DISAGREEMENT, 20000, 200, 0.5, 42);
    }

    /** The options of {@code trainer.active} in the configuration. */
    public static Options from(io.memescope.core.config.TrainerSettings t) {
      return new Options(
          Strategy.parse(t.activeStrategy()),
          t.activeCandidates(),
          t.activeBatchSize(),
          t.activeDiversity(),
          t.seed());
    }

    public Options with(Strategy s, long newSeed) {
      return new Options(s, candidates, batchSize, diversity, newSeed);
    }
  }

  /** A chosen pair, left and right as they should be shown, and its strategy score. */
  public record Selection(String leftId, String rightId, double score) {}

  private ActiveLearning() {}

  /** The selections as rating-queue pairs, in order, for {@code RatingQueue.enqueue}. */
  public static List<io.memescope.core.rating.RatingQueue.Pair> queuePairs(
      List<Selection> selections) {
    return selections.stream()
        .map(s -> new io.memescope.core.rating.RatingQueue.Pair(s.leftId(), s.rightId()))
        .toList();
  }

  /**
   * The next batch of pairs to rate.
   *
   * @param ids the images pairs may be drawn from (e.g. a sample of the index)
   * @param embeddings their embeddings, in the order of {@code ids}
   * @param exclude pair keys ({@link PairKey#of}) not to propose again: already rated or queued
   * @param model the current model; may be null for {@link Strategy#RANDOM}
   */
  public static List<Selection> select(
      QualityModel model,
      List<String> ids,
      float[][] embeddings,
      Set<String> exclude,
      Options options) {
    if (ids.size() != embeddings.length) {
      throw new IllegalArgumentException("ids and embeddings differ in length");
    }
    if (ids.size() < 2) {
      return List.of();
    }
    Random random = new Random(options.seed());
    int[][] pairs = sample(ids, exclude, options.candidates(), random);
    if (options.strategy() == Strategy.RANDOM) {
      List<Selection> out = new ArrayList<>();
      for (int i = 0; i < Math.min(options.batchSize(), pairs.length); i++) {
        out.add(new Selection(ids.get(pairs[i][0]), ids.get(pairs[i][1]), 0));
      }
      return out;
    }
    if (model == null) {
      throw new IllegalArgumentException(options.strategy().label() + " needs a model");
    }
    // Score every image that appears once, then every candidate pair from the scores.
    float[][][] scores = model.memberScores(embeddings);
    double[] value = new double[pairs.length];
    for (int i = 0; i < pairs.length; i++) {
      value[i] = score(options.strategy(), scores, pairs[i][0], pairs[i][1]);
    }
    int[] chosen = diverseTop(pairs, value, embeddings, options.batchSize(), options.diversity());
    List<Selection> out = new ArrayList<>(chosen.length);
    for (int c : chosen) {
      out.add(new Selection(ids.get(pairs[c][0]), ids.get(pairs[c][1]), value[c]));
    }
    return out;
  }

  /** The strategy's score of one pair from [member][image][dimension] raw scores. */
  static double score(Strategy strategy, float[][][] scores, int left, int right) {
    double[][] p = QualityModel.memberWinProbabilities(scores, left, right);
    int members = p.length;
    int k = p[0].length;
    double total = 0;
    for (int d = 0; d < k; d++) {
      double mean = 0;
      for (double[] row : p) {
        mean += row[d] / members;
      }
      if (strategy == Strategy.DISAGREEMENT) {
        double var = 0;
        for (double[] row : p) {
          var += (row[d] - mean) * (row[d] - mean);
        }
        total += var / members;
      } else if (strategy == Strategy.INFORMATION) {
        double h = 0;
        for (double[] row : p) {
          h += entropy(row[d]) / members;
        }
        total += entropy(mean) - h;
      } else {
        total += 1 - 2 * Math.abs(mean - 0.5);
      }
    }
    return total / k;
  }

  private static double entropy(double p) {
    double q = Math.min(1 - 1e-12, Math.max(1e-12, p));
    return -(q * Math.log(q) + (1 - q) * Math.log(1 - q));
  }

  /** Up to {@code n} distinct random pairs of distinct images, not in {@code exclude}. */
  static int[][] sample(List<String> ids, Set<String> exclude, int n, Random r) {
    int size = ids.size();
    long possible = (long) size * (size - 1) / 2;
    int target = (int) Math.min(n, possible);
    Set<String> seen = new HashSet<>();
    List<int[]> out = new ArrayList<>(target);
    int attempts = 0;
    while (out.size() < target && attempts < 20 * target + 100) {
      attempts++;
      int a = r.nextInt(size);
      int b = r.nextInt(size - 1);
      if (b >= a) {
        b++;
      }
      String key = PairKey.of(ids.get(a), ids.get(b));
      if (exclude.contains(key) || !seen.add(key)) {
        continue;
      }
      out.add(new int[] {a, b});
    }
    return out.toArray(new int[0][]);
  }

  /**
   * Greedy diverse selection: repeatedly the candidate with the best penalised score, where the
   * penalty grows with the similarity of its difference vector to the chosen ones; candidates with
   * an image already chosen wait until no other is left.
   */
  static int[] diverseTop(
      int[][] pairs, double[] value, float[][] embeddings, int n, double diversity) {
    int count = Math.min(n, pairs.length);
    if (diversity == 0) {
      Integer[] order = new Integer[pairs.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(value[b], value[a]));
      int[] out = new int[count];
      for (int i = 0; i < count; i++) {
        out[i] = order[i];
      }
      return out;
    }
    int dim = embeddings[0].length;
    float[][] diff = new float[pairs.length][dim];
    for (int i = 0; i < pairs.length; i++) {
      float[] l = embeddings[pairs[i][0]];
      float[] r = embeddings[pairs[i][1]];
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        diff[i][d] = l[d] - r[d];
        norm += diff[i][d] * diff[i][d];
      }
      float inv = (float) (1 / Math.max(1e-12, Math.sqrt(norm)));
      for (int d = 0; d < dim; d++) {
        diff[i][d] *= inv;
      }
    }
    double[] maxSim = new double[pairs.length];
    boolean[] taken = new boolean[pairs.length];
    Set<Integer> usedImages = new HashSet<>();
    int[] out = new int[count];
    for (int k = 0; k < count; k++) {
      int best = -1;
      double bestValue = Double.NEGATIVE_INFINITY;
      boolean bestFresh = false;
      for (int i = 0; i < pairs.length; i++) {
        if (taken[i]) {
          continue;
        }
        boolean fresh = !usedImages.contains(pairs[i][0]) && !usedImages.contains(pairs[i][1]);
        double v = value[i] * (1 - diversity * maxSim[i]);
        if ((fresh && !bestFresh) || (fresh == bestFresh && v > bestValue)) {
          best = i;
          bestValue = v;
          bestFresh = fresh;
        }
      }
      taken[best] = true;
      out[k] = best;
      usedImages.add(pairs[best][0]);
      usedImages.add(pairs[best][1]);
      float[] chosen = diff[best];
      for (int i = 0; i < pairs.length; i++) {
        if (!taken[i]) {
          double dot = 0;
          float[] di = diff[i];
          for (int d = 0; d < dim; d++) {
            dot += di[d] * chosen[d];
          }
          maxSim[i] = Math.max(maxSim[i], Math.abs(dot));
        }
      }
    }
    return out;
  }
}
