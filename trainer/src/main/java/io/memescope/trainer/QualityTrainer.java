package io.memescope.trainer;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.memescope.core.quality.QualityModel;
import io.memescope.core.quality.QualitySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Trains a {@link QualityModel} on rated pairs with DJL's training API on the PyTorch engine: each
 * member an MLP trained as a Bradley-Terry model ({@link BradleyTerryLoss}) with Adam, from its own
 * initialisation and in its own data order, until its validation loss has not improved for {@code
 * patience} epochs; it keeps its best parameters.
 *
 * <pre>{@code
 * QualityTrainer trainer = new QualityTrainer(TrainingOptions.defaults());
 * try (QualityTrainer.Result r = trainer.train(spec, comparisons, embeddings)) {
 *   byte[] parameters = r.model().save();
 *   r.report().writeJson(dir.resolve("report.json"));
 *   LearningCurve.write(r.report(), dir.resolve("learning-curve.png"));
 * }
 * }</pre>
 */
public final class QualityTrainer {
  private final TrainingOptions options;

  /** A trained model and the report of its run; closing it closes the model. */
  public record Result(QualityModel model, TrainingReport report) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }

  public QualityTrainer(TrainingOptions options) {
    this.options = options;
  }

  public TrainingOptions options() {
    return options;
  }

  /**
   * Splits {@code comparisons} by image ({@link Split#byImage}, {@code validationFraction}) and
   * trains a new model on them.
   *
   * @param embeddings image id → embedding; pairs with an image missing here are left out (counted
   *     in the report)
   */
  public Result train(
      QualitySpec spec, List<Comparison> comparisons, Map<String, float[]> embeddings) {
    List<Comparison> usable = usable(comparisons, embeddings);
    Split split = Split.byImage(usable, options.validationFraction(), options.seed());
    return train(spec, split, embeddings, null, comparisons.size() - usable.size());
  }

  /**
   * Trains on a given split.
   *
   * @param warmStart parameters to start from (a model of the same spec, not changed), or null for
   *     a fresh initialisation
   */
  public Result train(
      QualitySpec spec, Split split, Map<String, float[]> embeddings, QualityModel warmStart) {
    return train(spec, split, embeddings, warmStart, 0);
  }

  private Result train(
      QualitySpec spec,
      Split split,
      Map<String, float[]> embeddings,
      QualityModel warmStart,
      int missing) {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    List<Comparison> train = usable(split.train(), embeddings);
    List<Comparison> val = usable(split.validation(), embeddings);
    missing += split.train().size() - train.size() + split.validation().size() - val.size();
    if (train.isEmpty()) {
      throw new IllegalArgumentException(
          split.train().isEmpty() && (!split.validation().isEmpty() || split.dropped() > 0)
              ? "the split by image left no pairs to train on ("
                  + split.validation().size()
                  + " held out, "
                  + split.dropped()
                  + " with an image on each side): rate more pairs, or lower"
                  + " trainer.validation-fraction"
              : "no training pairs with embeddings");
    }
    checkTargets(spec, train);
    checkTargets(spec, val);
    // Inputs checked before any native memory is taken.
    Batches batches = new Batches(train, embeddings, spec.embeddingDim());
    ValidationSet vs = new ValidationSet(val, embeddings, spec.embeddingDim());
    QualityModel model;
    if (warmStart != null) {
      if (!warmStart.spec().equals(spec)) {
        throw new IllegalArgumentException("warm start of another spec: " + warmStart.spec());
      }
      try {
        model = QualityModel.load(spec, warmStart.save());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      model = QualityModel.create(spec, options.seed());
    }
    List<TrainingReport.MemberCurve> curves = new ArrayList<>();
    long pairsTrained = 0;
    long trainNanos = 0;
    try {
      try (ProgressBar bar = progressBar("training", spec.members() * options.maxEpochs())) {
        for (int m = 0; m < spec.members(); m++) {
          MemberRun run = trainMember(model, m, batches, vs, bar, options.maxEpochs());
          curves.add(run.curve);
          pairsTrained += run.pairs;
          trainNanos += run.nanos;
        }
      }
      Map<String, Double> metrics = new LinkedHashMap<>();
      if (!val.isEmpty()) {
        double[][] p = vs.ensembleProbabilities(model);
        PairMetrics all = PairMetrics.of(p, val);
        metrics.put("accuracy", all.accuracy());
        metrics.put("log_loss", all.logLoss());
        metrics.put("calibration_error", all.calibrationError());
        for (int d = 0; d < spec.outputs(); d++) {
          metrics.put("accuracy." + spec.dimensions().get(d), dimensionAccuracy(p, val, d));
        }
      } else {
        metrics.put("accuracy", Double.NaN);
        metrics.put("log_loss", Double.NaN);
        metrics.put("calibration_error", Double.NaN);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      TrainingReport report =
          new TrainingReport(
              spec,
              options,
              started,
              seconds,
              train.size(),
              val.size(),
              split.dropped(),
              missing,
              curves,
              metrics,
              trainNanos == 0 ? 0 : pairsTrained / (trainNanos / 1e9),
              0);
      return new Result(model, report);
    } catch (RuntimeException e) {
      // Native memory of every member, whatever failed after it was taken.
      model.close();
      throw e;
    }
  }

  /**
   * A model of {@code spec} trained on every usable pair of {@code comparisons}, none held out:
   * each member from the same initialisation and seed as in {@code heldOut}'s run (its data order
   * differs, since there are more pairs to order), for the epochs that run's early stopping kept
   * for it: more optimiser steps, since each epoch holds more pairs. So the published model also
   * learns from the ratings the split by image held out or dropped (with dense ratings, most of
   * them), while {@code heldOut}'s figures, measured before, still say how well this recipe
   * generalises.
   *
   * @return the model, and {@code heldOut} with {@link TrainingReport#refitPairs} set
   */
  public Result refit(
      QualitySpec spec,
      List<Comparison> comparisons,
      Map<String, float[]> embeddings,
      TrainingReport heldOut) {
    List<Comparison> all = usable(comparisons, embeddings);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no pairs with embeddings to refit on");
    }
    if (heldOut.members().size() != spec.members()) {
      throw new IllegalArgumentException(
          "the held-out run trained "
              + heldOut.members().size()
              + " members, the spec says "
              + spec.members());
    }
    checkTargets(spec, all);
    Batches batches = new Batches(all, embeddings, spec.embeddingDim());
    ValidationSet none = new ValidationSet(List.of(), embeddings, spec.embeddingDim());
    int total = 0;
    for (TrainingReport.MemberCurve c : heldOut.members()) {
      total += Math.max(1, c.bestEpoch());
    }
    QualityModel model = QualityModel.create(spec, options.seed());
    try {
      try (ProgressBar bar = progressBar("refitting", total)) {
        for (int m = 0; m < spec.members(); m++) {
          trainMember(
              model, m, batches, none, bar, Math.max(1, heldOut.members().get(m).bestEpoch()));
        }
      }
      return new Result(model, heldOut.withRefit(all.size()));
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static void checkTargets(QualitySpec spec, List<Comparison> pairs) {
    for (Comparison c : pairs) {
      if (c.dimensions() != spec.outputs()) {
        throw new IllegalArgumentException(
            c + " has " + c.dimensions() + " targets, the model " + spec.outputs());
      }
    }
  }

  private record MemberRun(TrainingReport.MemberCurve curve, long pairs, long nanos) {}

  /** Trains member {@code m} for at most {@code epochs} epochs (all of them without validation). */
  private MemberRun trainMember(
      QualityModel qm, int m, Batches batches, ValidationSet vs, ProgressBar bar, int epochs) {
    Model model = qm.member(m);
    long seed = options.seed() * 1_000_003L + m;
    Random shuffle = new Random(seed);
    DefaultTrainingConfig config =
        new DefaultTrainingConfig(new BradleyTerryLoss())
            .optOptimizer(
                Optimizer.adam()
                    .optLearningRateTracker(Tracker.fixed((float) options.learningRate()))
                    .optWeightDecays((float) options.weightDecay())
                    .build())
            .optDevices(new Device[] {Device.cpu()});
    List<Double> trainLoss = new ArrayList<>();
    List<Double> valLoss = new ArrayList<>();
    List<Double> valAcc = new ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    int bestEpoch = 0;
    byte[] bestParams = null;
    long pairs = 0;
    long nanos = 0;
    synchronized (QualityTrainer.class) { // dropout draws from the engine's global generator
      Engine.getEngine("PyTorch").setRandomSeed((int) (seed & 0x7fffffff));
    }
    try (Trainer trainer = model.newTrainer(config)) {
      trainer.initialize(new Shape(1, batches.dim));
      EpochOrder order = new EpochOrder(batches.n, options.resample(), shuffle);
      for (int epoch = 1; epoch <= epochs; epoch++) {
        int[] idx = order.next();
        long e0 = System.nanoTime();
        double lossSum = 0;
        for (int from = 0; from < idx.length; from += options.batchSize()) {
          int to = Math.min(idx.length, from + options.batchSize());
          try (NDManager bm = trainer.getManager().newSubManager()) {
            NDList[] xy = batches.batch(bm, idx, from, to);
            try (GradientCollector gc = trainer.newGradientCollector()) {
              NDList pred = trainer.forward(xy[0]);
              NDArray loss = trainer.getLoss().evaluate(xy[1], pred);
              gc.backward(loss);
              lossSum += loss.getFloat() * (to - from);
            }
            trainer.step();
          }
        }
        nanos += System.nanoTime() - e0;
        pairs += idx.length;
        if (!Double.isFinite(lossSum)) {
          // Even after an epoch worth keeping: a learning rate this unstable is the user's to fix.
          throw diverged(m, "training", epoch);
        }
        trainLoss.add(lossSum / idx.length);
        if (vs.isEmpty()) {
          bestEpoch = epoch;
          bar.step();
          continue;
        }
        double[][] p = vs.memberProbabilities(qm, m);
        PairMetrics pm = PairMetrics.of(p, vs.pairs);
        valLoss.add(pm.logLoss());
        valAcc.add(pm.accuracy());
        bar.setExtraMessage(
            String.format(
                " member %d/%d epoch %d: val loss %.4f, acc %.3f",
                m + 1, qm.size(), epoch, pm.logLoss(), pm.accuracy()));
        bar.step();
        if (pm.logLoss() < best - 1e-5) {
          best = pm.logLoss();
          bestEpoch = epoch;
          bestParams = QualityModel.memberParameters(model.getBlock());
        } else if (epoch - bestEpoch >= options.patience()) {
          bar.stepBy(epochs - epoch);
          break;
        }
      }
    }
    if (bestParams != null) {
      qm.restoreMember(m, bestParams);
    } else if (!vs.isEmpty()) {
      throw diverged(m, "validation", valLoss.size()); // never finite, so never an epoch to keep
    }
    return new MemberRun(
        new TrainingReport.MemberCurve(m + 1, seed, bestEpoch, trainLoss, valLoss, valAcc),
        pairs,
        nanos);
  }

  private IllegalStateException diverged(int member, String which, int epoch) {
    return new IllegalStateException(
        String.format(
            "training diverged: member %d's %s loss is not finite at epoch %d; lower"
                + " trainer.learning-rate (now %s)",
            member + 1, which, epoch, options.learningRate()));
  }

  private static double dimensionAccuracy(double[][] p, List<Comparison> pairs, int d) {
    int decided = 0;
    double correct = 0;
    for (int i = 0; i < pairs.size(); i++) {
      double t = pairs.get(i).target(d);
      if (Double.isNaN(t) || t == 0.5) {
        continue;
      }
      decided++;
      correct += p[i][d] == 0.5 ? 0.5 : (p[i][d] > 0.5) == (t > 0.5) ? 1 : 0;
    }
    return decided == 0 ? Double.NaN : correct / decided;
  }

  private static List<Comparison> usable(
      List<Comparison> comparisons, Map<String, float[]> embeddings) {
    List<Comparison> out = new ArrayList<>(comparisons.size());
    for (Comparison c : comparisons) {
      if (c.hasTarget()
          && embeddings.containsKey(c.leftId())
          && embeddings.containsKey(c.rightId())) {
        out.add(c);
      }
    }
    return out;
  }

  /** How often progress is printed as a line when there is no console (a test sets 0). */
  static volatile java.time.Duration pipedEvery = java.time.Duration.ofSeconds(10);

  private ProgressBar progressBar(String task, int max) {
    ProgressBarBuilder b =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(max)
            .setUnit(" epochs", 1)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(200)
            .setMaxRenderedLength(120);
    if (!options.progress()) {
      b.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(line -> {}));
    } else if (System.console() == null) {
      // No console (input or output redirected: a CI job, nohup, a pipe): no bar redrawn in
      // place, but a line every 10 s and the last one (the bar's own refreshes, as `crawl` prints
      // them), so a long run is not silent. Until 2026-12-06 it printed nothing until the end.
      b.setUpdateIntervalMillis((int) Math.max(1, pipedEvery.toMillis()))
          .setConsumer(
              new me.tongfei.progressbar.DelegatingProgressBarConsumer(
                  new io.memescope.core.progress.DistinctLines(System.err::println), 120));
    }
    return b.build();
  }

  /**
   * The order of a member's training pairs, epoch after epoch: a fresh permutation of all of them
   * ({@link TrainingOptions.Resample#NONE}), of one bootstrap resample drawn when the member starts
   * ({@link TrainingOptions.Resample#MEMBER}), or a fresh resample every epoch ({@link
   * TrainingOptions.Resample#EPOCH}).
   */
  static final class EpochOrder {
    private final int n;
    private final TrainingOptions.Resample resample;
    private final Random random;
    private final int[] sample;

    EpochOrder(int n, TrainingOptions.Resample resample, Random random) {
      this.n = n;
      this.resample = resample;
      this.random = random;
      this.sample = resample == TrainingOptions.Resample.MEMBER ? draw() : null;
    }

    private int[] draw() {
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = random.nextInt(n);
      }
      return idx;
    }

    int[] next() {
      if (resample == TrainingOptions.Resample.EPOCH) {
        return draw();
      }
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = sample == null ? i : sample[i];
      }
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      return idx;
    }
  }

  /** The training pairs as flat arrays, cut into [2B, D] inputs and [B, K] targets and masks. */
  private static final class Batches {
    final int dim;
    final int k;
    final int n;
    final float[][] left;
    final float[][] right;
    final float[] targets;
    final float[] masks;

    Batches(List<Comparison> pairs, Map<String, float[]> embeddings, int dim) {
      this.dim = dim;
      this.n = pairs.size();
      this.k = pairs.get(0).dimensions();
      left = new float[n][];
      right = new float[n][];
      targets = new float[n * k];
      masks = new float[n * k];
      for (int i = 0; i < n; i++) {
        Comparison c = pairs.get(i);
        left[i] = checked(embeddings.get(c.leftId()), c.leftId(), dim);
        right[i] = checked(embeddings.get(c.rightId()), c.rightId(), dim);
        for (int d = 0; d < k; d++) {
          double t = c.target(d);
          targets[i * k + d] = Double.isNaN(t) ? 0.5f : (float) t;
          masks[i * k + d] = Double.isNaN(t) ? 0f : 1f;
        }
      }
    }

    NDList[] batch(NDManager manager, int[] idx, int from, int to) {
      int b = to - from;
      float[] x = new float[2 * b * dim];
      float[] t = new float[b * k];
      float[] mask = new float[b * k];
      for (int i = 0; i < b; i++) {
        int p = idx[from + i];
        System.arraycopy(left[p], 0, x, i * dim, dim);
        System.arraycopy(right[p], 0, x, (b + i) * dim, dim);
        System.arraycopy(targets, p * k, t, i * k, k);
        System.arraycopy(masks, p * k, mask, i * k, k);
      }
      return new NDList[] {
        new NDList(manager.create(x, new Shape(2L * b, dim))),
        new NDList(manager.create(t, new Shape(b, k)), manager.create(mask, new Shape(b, k)))
      };
    }
  }

  /** {@code e}, refused when it is not {@code dim} finite floats. */
  static float[] checked(float[] e, String id, int dim) {
    if (e.length != dim) {
      throw new IllegalArgumentException(
          "embedding of " + id + " has " + e.length + " floats, the model reads " + dim);
    }
    for (int i = 0; i < e.length; i++) {
      if (!Float.isFinite(e[i])) {
        throw new IllegalArgumentException(
            "embedding of " + id + " has a non-finite value (" + e[i] + ") at position " + i);
      }
    }
    return e;
  }

  /** Validation pairs over their distinct images, scored once per image. */
  private static final class ValidationSet {
    final List<Comparison> pairs;
    final float[][] images;
    final int[] left;
    final int[] right;

    ValidationSet(List<Comparison> pairs, Map<String, float[]> embeddings, int dim) {
      this.pairs = pairs;
      Map<String, Integer> index = new HashMap<>();
      List<float[]> list = new ArrayList<>();
      left = new int[pairs.size()];
      right = new int[pairs.size()];
      for (int i = 0; i < pairs.size(); i++) {
        Comparison c = pairs.get(i);
        left[i] =
            index.computeIfAbsent(
                c.leftId(), id -> add(list, checked(embeddings.get(id), id, dim)));
        right[i] =
            index.computeIfAbsent(
                c.rightId(), id -> add(list, checked(embeddings.get(id), id, dim)));
      }
      images = list.toArray(new float[0][]);
    }

    private static int add(List<float[]> list, float[] e) {
      list.add(e);
      return list.size() - 1;
    }

    boolean isEmpty() {
      return pairs.isEmpty();
    }

    double[][] memberProbabilities(QualityModel model, int m) {
      float[][] s = model.memberScores(m, images);
      double[][] p = new double[pairs.size()][];
      for (int i = 0; i < p.length; i++) {
        p[i] = QualityModel.fromScores(s[left[i]], s[right[i]]);
      }
      return p;
    }

    double[][] ensembleProbabilities(QualityModel model) {
      float[][][] s = model.memberScores(images);
      double[][] p = new double[pairs.size()][];
      for (int i = 0; i < p.length; i++) {
        double[][] pm = QualityModel.memberWinProbabilities(s, left[i], right[i]);
        double[] mean = new double[pm[0].length];
        for (double[] row : pm) {
          for (int d = 0; d < mean.length; d++) {
            mean[d] += row[d] / pm.length;
          }
        }
        p[i] = mean;
      }
      return p;
    }
  }
}
