package io.memescope.trainer;

import io.memescope.core.quality.QualityModel;
import io.memescope.core.rating.PairKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntToDoubleFunction;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

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
 *   <li>{@link Strategy#DESIGN} (the default): a greedy D-optimal design for a Bradley-Terry model
 *       that is linear in the embedding. Each pick is the candidate with the most Fisher
 *       information about the directions of embedding space that the ratings so far (and the picks
 *       before it) leave open: w · Δxᵀ A⁻¹ Δx, with Δx the pair's embedding difference, w = P(1 −
 *       P) under the ensemble, and A = I + Σ w Δx Δxᵀ over the pairs rated, queued or picked.
 *       Redundancy is built in (A grows with every pick), so the diversity setting is not used. It
 *       needs about 0.64× the labels of random pairs on the benchmark in rounds of 10, where
 *       disagreement needs 0.94× in rounds of 50 (docs/benchmarks.md).
 *   <li>{@link Strategy#RANDOM}: uniform random pairs (the baseline); no diversity penalty.
 * </ul>
 *
 * <p>Diversity (all strategies but {@link Strategy#DESIGN}, whose batch counts its own picks): a
 * candidate's score is multiplied by (1 − diversity · s), where s is the largest |cosine| between
 * its pair-difference embedding (left − right) and those of the pairs already chosen, and a pair
 * whose image is already in the batch is skipped (while others remain). With diversity 0 the batch
 * is simply the top scores.
 */
public final class ActiveLearning {

  /** How candidates are scored. */
  public enum Strategy {
    DISAGREEMENT,
    UNCERTAINTY,
    INFORMATION,
    RANDOM,
    // After RANDOM: the benchmark seeds each strategy's simulated rater with its ordinal, and the
    // recorded baselines stay comparable.
    DESIGN;

    /**
     * Parses a strategy's {@link #label()} ({@code design}, {@code disagreement}, ...), any case.
     */
    public static Strategy parse(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "no strategy '"
                + name
                + "': choose "
                + String.join(
                    ", ", java.util.Arrays.stream(values()).map(Strategy::label).toList()));
      }
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
      return new Options(Strategy.DESIGN, 20000, 200, 0.5, 42);
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

  /**
   * A chosen pair, left and right as they should be shown, and its strategy score (for {@link
   * Strategy#DESIGN}, the pair's Fisher information under the model, not its place in the design).
   */
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
   * @param model the current model; may be null for {@link Strategy#RANDOM}, and for {@link
   *     Strategy#DESIGN} before any model exists (a cold start: pairs spread over the embedding
   *     space, as if every outcome were a coin toss)
   */
  public static List<Selection> select(
      QualityModel model,
      List<String> ids,
      float[][] embeddings,
      Set<String> exclude,
      Options options) {
    return select(model, ids, embeddings, exclude, Map.of(), options);
  }

  /**
   * As {@link #select(QualityModel, List, float[][], Set, Options)}, with the embeddings of images
   * outside the sample that rated or queued pairs ({@code exclude}) involve: {@link
   * Strategy#DESIGN} counts those pairs as known directions. A sample of the index rarely holds
   * both images of a rated pair, so without them the design would start from nothing known.
   */
  public static List<Selection> select(
      QualityModel model,
      List<String> ids,
      float[][] embeddings,
      Set<String> exclude,
      Map<String, float[]> rated,
      Options options) {
    if (ids.size() != embeddings.length) {
      throw new IllegalArgumentException("ids and embeddings differ in length");
    }
    if (ids.size() < 2) {
      return List.of();
    }
    long possible = (long) ids.size() * (ids.size() - 1) / 2;
    checkMemory(
        options.strategy(),
        Math.min(options.candidates(), possible),
        embeddings[0].length,
        options.diversity(),
        Runtime.getRuntime().maxMemory());
    Random random = new Random(options.seed());
    int[][] pairs = sample(ids, exclude, options.candidates(), random);
    if (options.strategy() == Strategy.RANDOM) {
      List<Selection> out = new ArrayList<>();
      for (int i = 0; i < Math.min(options.batchSize(), pairs.length); i++) {
        out.add(new Selection(ids.get(pairs[i][0]), ids.get(pairs[i][1]), 0));
      }
      return out;
    }
    if (model == null && options.strategy() != Strategy.DESIGN) {
      throw new IllegalArgumentException(options.strategy().label() + " needs a model");
    }
    if (model != null
        && model.spec().members() < 2
        && (options.strategy() == Strategy.DISAGREEMENT
            || options.strategy() == Strategy.INFORMATION)) {
      // One member cannot disagree with itself: every pair would score 0 and the batch would be
      // chosen by the diversity penalty alone.
      throw new IllegalArgumentException(
          options.strategy().label()
              + " measures how an ensemble's members disagree, and the model has one member: "
              + "choose design, uncertainty or random, or train with trainer.members of 2 or more");
    }
    // Score every image that appears once, then every candidate pair from the scores. The design
    // also scores the rated images outside the sample, placed after it (never candidates).
    List<String> known = ids;
    float[][] all = embeddings;
    if (options.strategy() == Strategy.DESIGN && !rated.isEmpty()) {
      Set<String> inSample = new HashSet<>(ids);
      known = new ArrayList<>(ids);
      List<float[]> extra = new ArrayList<>();
      for (Map.Entry<String, float[]> e : rated.entrySet()) {
        if (!inSample.contains(e.getKey())) {
          known.add(e.getKey());
          extra.add(e.getValue());
        }
      }
      all = new float[ids.size() + extra.size()][];
      System.arraycopy(embeddings, 0, all, 0, ids.size());
      for (int i = 0; i < extra.size(); i++) {
        all[ids.size() + i] = extra.get(i);
      }
    }
    // Without a model (nothing rated yet) the design starts cold: every pair counts as a coin toss,
    // so it spreads its pairs over the directions of embedding space (and around those already
    // queued).
    float[][][] scores = model == null ? null : model.memberScores(all);
    double[] value = new double[pairs.length];
    for (int i = 0; i < pairs.length; i++) {
      value[i] = score(options.strategy(), scores, pairs[i][0], pairs[i][1]);
    }
    int[] chosen =
        options.strategy() == Strategy.DESIGN
            ? design(pairs, value, all, labelled(known, exclude, scores), options.batchSize())
            : diverseTop(pairs, value, embeddings, options.batchSize(), options.diversity());
    List<Selection> out = new ArrayList<>(chosen.length);
    for (int c : chosen) {
      out.add(new Selection(ids.get(pairs[c][0]), ids.get(pairs[c][1]), value[c]));
    }
    return out;
  }

  /**
   * The strategy's score of one pair from [member][image][dimension] raw scores; 0 where the
   * model's scores are not finite.
   */
  static double score(Strategy strategy, float[][][] scores, int left, int right) {
    if (scores == null) {
      return COLD;
    }
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
      } else if (strategy == Strategy.DESIGN) {
        total += mean * (1 - mean); // the Fisher information of one rating under the model
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
    // A pair with an image the model cannot score (NaN: a damaged embedding, or a diverged member)
    // would otherwise sort first: it counts as the least worth asking.
    return Double.isFinite(total) ? total / k : 0;
  }

  /**
   * The prior precision of the design: how much every direction counts as known before any rating.
   * One rating adds w·|Δx|² (at most about 0.5: w ≤ 0.25, |Δx|² ≤ 2 for unit embeddings) along its
   * direction, so with 1 a direction counts as open until a few ratings have covered it. On the
   * benchmark (3 seeds each, docs/benchmarks.md) 0.1, 1 and 10 did about as well; 0.01 worse.
   */
  static final double PRIOR = 1.0;

  /** The Fisher information of a rating before any model: P = 0.5, so 0.5 · (1 − 0.5). */
  static final double COLD = 0.25;

  /**
   * The pairs already rated or queued among {@code ids} (both images known: the sample, and the
   * rated images fetched for the design), each as {left, right, weight} with the weight its Fisher
   * information under the model.
   */
  static List<double[]> labelled(List<String> ids, Set<String> exclude, float[][][] scores) {
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      position.put(ids.get(i), i);
    }
    List<double[]> out = new ArrayList<>();
    for (String key : exclude) {
      String[] pair = PairKey.ids(key);
      if (pair == null) {
        continue;
      }
      Integer a = position.get(pair[0]);
      Integer b = position.get(pair[1]);
      if (a != null && b != null) {
        out.add(new double[] {a, b, score(Strategy.DESIGN, scores, a, b)});
      }
    }
    return out;
  }

  /**
   * Greedy D-optimal design for a Bradley-Terry model that is linear in the embedding: each pick is
   * the candidate with the most information about the directions the ratings so far have not pinned
   * down, w · Δxᵀ A⁻¹ Δx, where Δx is the pair's embedding difference, w its Fisher information p(1
   * − p) under the model, and A = λI + Σ w Δx Δxᵀ over the pairs already rated or queued and those
   * picked before it. Pairs with an image already picked wait until no other is left, as in {@link
   * #diverseTop}.
   */
  static int[] design(
      int[][] pairs, double[] weight, float[][] embeddings, List<double[]> labelled, int n) {
    int dim = embeddings[0].length;
    double[][] a = new double[dim][dim];
    for (int i = 0; i < dim; i++) {
      a[i][i] = PRIOR;
    }
    double[] dx = new double[dim];
    for (double[] l : labelled) {
      difference(embeddings, (int) l[0], (int) l[1], dx);
      for (int i = 0; i < dim; i++) {
        double wi = finite(l[2]) * dx[i];
        for (int j = 0; j < dim; j++) {
          a[i][j] += wi * dx[j];
        }
      }
    }
    double[][] inv = invert(a);
    double[][] diffs = new double[pairs.length][dim];
    double[] leverage = new double[pairs.length];
    double[] tmp = new double[dim];
    for (int c = 0; c < pairs.length; c++) {
      difference(embeddings, pairs[c][0], pairs[c][1], diffs[c]);
      multiply(inv, diffs[c], tmp);
      leverage[c] = dot(diffs[c], tmp);
    }
    int count = Math.min(n, pairs.length);
    boolean[] taken = new boolean[pairs.length];
    Set<Integer> usedImages = new HashSet<>();
    int[] out = new int[count];
    double[] u = new double[dim];
    double[] v = new double[dim];
    for (int k = 0; k < count; k++) {
      int best = take(pairs, taken, usedImages, c -> finite(weight[c]) * Math.max(0, leverage[c]));
      out[k] = best;
      // Sherman-Morrison: A += u uᵀ with u = √w Δx; every leverage drops by (Δxᵀ A⁻¹ u)² / (1 +
      // uᵀ A⁻¹ u).
      double root = Math.sqrt(finite(weight[best]));
      for (int i = 0; i < dim; i++) {
        u[i] = root * diffs[best][i];
      }
      multiply(inv, u, v);
      double denominator = 1 + dot(u, v);
      for (int c = 0; c < pairs.length; c++) {
        if (!taken[c]) {
          double t = dot(diffs[c], v);
          leverage[c] -= t * t / denominator;
        }
      }
      for (int i = 0; i < dim; i++) {
        for (int j = 0; j < dim; j++) {
          inv[i][j] -= v[i] * v[j] / denominator;
        }
      }
    }
    return out;
  }

  /** A weight as the design uses it: a model that gives NaN (diverged) teaches nothing. */
  private static double finite(double w) {
    return Double.isFinite(w) && w > 0 ? w : 0;
  }

  private static void difference(float[][] embeddings, int left, int right, double[] out) {
    float[] l = embeddings[left];
    float[] r = embeddings[right];
    for (int d = 0; d < out.length; d++) {
      out[d] = l[d] - r[d];
    }
  }

  private static void multiply(double[][] m, double[] x, double[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = dot(m[i], x);
    }
  }

  private static double dot(double[] x, double[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += x[i] * y[i];
    }
    return s;
  }

  /**
   * The inverse of a symmetric positive definite matrix, by EJML's Cholesky decomposition (the
   * matrix is kept).
   *
   * @throws IllegalArgumentException when the matrix is not positive definite
   */
  static double[][] invert(double[][] m) {
    DMatrixRMaj inv = new DMatrixRMaj(m.length, m.length);
    if (!CommonOps_DDRM.invertSPD(new DMatrixRMaj(m), inv)) {
      throw new IllegalArgumentException(
          "the design's information matrix is not positive definite");
    }
    double[][] out = new double[m.length][m.length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m.length; j++) {
        out[i][j] = inv.get(i, j);
      }
    }
    return out;
  }

  private static double entropy(double p) {
    double q = Math.min(1 - 1e-12, Math.max(1e-12, p));
    return -(q * Math.log(q) + (1 - q) * Math.log(1 - q));
  }

  /**
   * Refuses, before anything is allocated, a selection that would not fit in half of {@code
   * maxMemory}: the design keeps every candidate's embedding difference in doubles, the diversity
   * penalty in floats, and every candidate costs about 200 bytes more (its pair, its key in the set
   * of pairs drawn, its score). With CLIP's 512 dimensions the default 20,000 candidates take about
   * 86 MB; a million would take 4 GB.
   */
  static void checkMemory(
      Strategy strategy, long candidates, int dim, double diversity, long maxMemory) {
    long perCandidate =
        200
            + (strategy == Strategy.DESIGN
                ? 8L * dim
                : strategy != Strategy.RANDOM && diversity > 0 ? 4L * dim : 0);
    long need = candidates * perCandidate;
    if (need > maxMemory / 2) {
      throw new IllegalStateException(
          String.format(
              "%s over %d candidate pairs of %d-dimensional embeddings needs about %d MB, and the"
                  + " trainer's heap is %d MB: lower trainer.active.candidates (or give the trainer"
                  + " more heap, e.g. JAVA_TOOL_OPTIONS=-Xmx%dg)",
              strategy.label(),
              candidates,
              dim,
              need >> 20,
              maxMemory >> 20,
              Math.max(1, (2 * need >> 30) + 1)));
    }
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
   * One greedy step of a batch: the candidate not yet taken with the highest {@code value}, among
   * those whose images are not in the batch yet while any is left; marks it taken and its images
   * used. Also takes a candidate when every value is NaN.
   */
  private static int take(
      int[][] pairs, boolean[] taken, Set<Integer> usedImages, IntToDoubleFunction value) {
    int best = -1;
    double bestValue = Double.NEGATIVE_INFINITY;
    boolean bestFresh = false;
    for (int c = 0; c < pairs.length; c++) {
      if (taken[c]) {
        continue;
      }
      boolean fresh = !usedImages.contains(pairs[c][0]) && !usedImages.contains(pairs[c][1]);
      double v = value.applyAsDouble(c);
      v = Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
      if (best < 0 || (fresh && !bestFresh) || (fresh == bestFresh && v > bestValue)) {
        best = c;
        bestValue = v;
        bestFresh = fresh;
      }
    }
    taken[best] = true;
    usedImages.add(pairs[best][0]);
    usedImages.add(pairs[best][1]);
    return best;
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
      int best = take(pairs, taken, usedImages, i -> value[i] * (1 - diversity * maxSim[i]));
      out[k] = best;
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
