package io.memescope.trainer.bench;

import io.memescope.core.quality.QualityModel;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.rating.PairKey;
import io.memescope.core.records.Json;
import io.memescope.trainer.ActiveLearning;
import io.memescope.trainer.ActiveLearning.Strategy;
import io.memescope.trainer.Comparison;
import io.memescope.trainer.QualityTrainer;
import io.memescope.trainer.Split;
import io.memescope.trainer.TrainingOptions;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Active learning against random pairs, with a simulated rater ({@link Simulation}). Pool-based:
 * per seed, a corpus of generated embeddings is split into a pool (pairs are drawn from it) and a
 * test set of images (never rated); both strategies start from the same random seed set of ratings
 * and add batches of pairs, retraining the ensemble (warm-started) after each; accuracy is measured
 * on fixed random pairs of test images against the true utility. The reference "all labels"
 * accuracy is that of a model trained on a large random set. Reports, per strategy, the labels
 * needed to reach 90 % of the reference accuracy.
 *
 * <pre>java ... io.memescope.trainer.bench.ActiveLearningBenchmark [key=value ...]</pre>
 *
 * Keys (defaults in brackets): seeds [5], first-seed [1000] (seeds run from it up), images [3000],
 * dim [64], hidden [64,32], members [5], initial [50] random labels to start from, batch [50]
 * labels per round, budget [800] labels in all, full [3000] random labels of the reference model,
 * epochs [5] at least per round, steps [60] optimiser steps at least per round (the models are
 * warm-started, so their training grows with the number of rounds, and the best schedule depends on
 * the strategy and on how far a run goes: in rounds of 10, to the bar random pairs do best
 * with 30 and the design with 60-120, to the chance-adjusted bar both with 15; docs/benchmarks.md,
 * "The training schedule" and "Every schedule against both bars"; {@code sweep=} below),
 * active-steps [steps] the same for the active strategy alone (random pairs keep {@code steps}),
 * full-epochs [20], candidates [20000] pairs scored per round, diversity [1.0], bootstrap [true]
 * (true: each member a fresh bootstrap resample every epoch, as every recorded run; member: one
 * resample per member, as {@code trainer.bootstrap}; false: all pairs), strategy [design],
 * cold-start [false] (true: the design also picks the first {@code initial} pairs, without a model,
 * as {@code train select} does before the first model; random pairs start random), baseline [true]
 * (false: run only the active strategy, to screen a variant against the random curves of a recorded
 * run on the same seeds; no ratio is printed then), out [target/active-learning], png
 * [docs/img/active-learning.png], threads [1]: libtorch's intra-op and inter-op threads, set before
 * the engine starts ({@code -Dai.djl.pytorch.num_threads} on the command line wins). One is the
 * quicker on two cores for models this small. Two runs of the same command still differ by a few
 * labels on some seeds (docs/benchmarks.md, "One libtorch thread"). stop [budget]: {@code bars}
 * ends a strategy's run on a seed as soon as its curve reaches the later (chance-adjusted) bar, so
 * that a large budget costs only what each seed needs; the labels to each bar are unchanged (both
 * are first crossings), but the curves end at different label counts, so the picture then shows the
 * labels to each bar per seed (random against the active strategy) instead of mean curves, and it
 * needs the random baseline.
 *
 * <p>{@code merge=a/results.json,b/results.json,...} trains nothing: it joins the results of runs
 * with the same settings on different seeds (blocks run side by side, say) into one results.json in
 * {@code out}, one picture ({@code png}) and one table, as if one run had made them.
 *
 * <p>{@code sweep=a/results.json,b/results.json,...} trains nothing either: from runs that differ
 * only in {@code steps} and {@code active-steps}, it tabulates and draws the labels each strategy
 * needs to reach each bar against its schedule, and gives the ratio with each strategy on its best
 * schedule for each bar, with a bootstrap interval over seeds ({@link ScheduleSweep}).
 */
public final class ActiveLearningBenchmark {
  private static final List<String> DIMS = List.of("usefulness", "memeness", "aesthetics");

  private final Map<String, String> args;
  private final int seeds;
  private final int firstSeed;
  private final int images;
  private final int dim;
  private final int initial;
  private final int batch;
  private final int budget;
  private final int full;
  private final int members;
  private final int epochs;
  private final int steps;
  private final int activeSteps;
  private final TrainingOptions.Resample bootstrap;
  private final boolean warm;
  private final int fullEpochs;
  private final int candidates;
  private final double diversity;
  private final Strategy active;
  private final boolean coldStart;
  private final boolean stopAtBars;
  private final List<Integer> hidden;

  /** One strategy's curve on one seed. */
  public record Curve(String strategy, long seed, List<Integer> labels, List<Double> accuracy) {}

  /** Everything the benchmark measured, written as JSON. */
  public record Results(
      Map<String, String> settings,
      List<Double> fullAccuracy,
      List<Curve> curves,
      Map<String, List<Double>> labelsTo90,
      Map<String, List<Double>> labelsTo90ChanceAdjusted,
      double seconds) {}

  ActiveLearningBenchmark(Map<String, String> args) {
    this.args = args;
    seeds = integer("seeds", 5);
    firstSeed = integer("first-seed", 1000);
    images = integer("images", 3000);
    dim = integer("dim", 64);
    initial = integer("initial", 50);
    batch = integer("batch", 50);
    budget = integer("budget", 800);
    full = integer("full", 3000);
    members = integer("members", 5);
    epochs = integer("epochs", 5);
    steps = integer("steps", 60);
    activeSteps = integer("active-steps", steps);
    bootstrap =
        switch (args.getOrDefault("bootstrap", "true")) {
          case "true" -> TrainingOptions.Resample.EPOCH;
          case "member" -> TrainingOptions.Resample.MEMBER;
          case "false" -> TrainingOptions.Resample.NONE;
          default -> throw new IllegalArgumentException("bootstrap: true, member or false");
        };
    warm = Boolean.parseBoolean(args.getOrDefault("warm", "true"));
    fullEpochs = integer("full-epochs", 20);
    candidates = integer("candidates", 20000);
    diversity = Double.parseDouble(args.getOrDefault("diversity", "1.0"));
    active = Strategy.parse(args.getOrDefault("strategy", "design"));
    coldStart = Boolean.parseBoolean(args.getOrDefault("cold-start", "false"));
    stopAtBars =
        switch (args.getOrDefault("stop", "budget")) {
          case "budget" -> false;
          case "bars" -> true;
          default ->
              throw new IllegalArgumentException("stop is budget or bars: " + args.get("stop"));
        };
    if (stopAtBars && !Boolean.parseBoolean(args.getOrDefault("baseline", "true"))) {
      throw new IllegalArgumentException(
          "stop=bars compares with random pairs: needs baseline=true");
    }
    hidden =
        List.of(args.getOrDefault("hidden", "64,32").replaceAll("[\\[\\]]", "").split(",")).stream()
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
  }

  public static void main(String[] argv) throws IOException {
    Map<String, String> args = new LinkedHashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are key=value: " + a);
      }
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    String threads = args.getOrDefault("threads", "1");
    if (Integer.parseInt(threads) < 1) {
      throw new IllegalArgumentException("threads must be at least 1: " + threads);
    }
    for (String key : List.of("ai.djl.pytorch.num_threads", "ai.djl.pytorch.num_interop_threads")) {
      if (System.getProperty(key) == null) {
        System.setProperty(key, threads);
      }
    }
    if (args.containsKey("merge")) {
      merge(args);
    } else if (args.containsKey("sweep")) {
      ScheduleSweep.run(
          paths(args.get("sweep")),
          Path.of(args.getOrDefault("out", "target/active-learning")),
          Path.of(args.getOrDefault("png", "target/active-learning/schedules.png")));
    } else {
      new ActiveLearningBenchmark(args).run();
    }
  }

  /** Joins the results of runs that differ only in their seeds; see the class comment. */
  static void merge(Map<String, String> args) throws IOException {
    List<Results> parts = new ArrayList<>();
    for (Path file : paths(args.get("merge"))) {
      parts.add(Json.mapper().readValue(file.toFile(), Results.class));
    }
    Map<String, String> settings = new LinkedHashMap<>(parts.get(0).settings());
    List<Double> fullAcc = new ArrayList<>();
    List<Curve> curves = new ArrayList<>();
    Map<String, List<Double>> to90 = new LinkedHashMap<>();
    Map<String, List<Double>> to90adj = new LinkedHashMap<>();
    Set<Long> seen = new HashSet<>();
    double seconds = 0;
    for (Results part : parts) {
      requireSameSettings(
          settings,
          part.settings(),
          Set.of("seeds", "first-seed", "merged"),
          "cannot merge runs with different settings");
      for (Curve c : part.curves()) {
        if (c.strategy().equals(part.curves().get(0).strategy()) && !seen.add(c.seed())) {
          throw new IllegalArgumentException("seed " + c.seed() + " is in two of the runs");
        }
      }
      fullAcc.addAll(part.fullAccuracy());
      curves.addAll(part.curves());
      part.labelsTo90()
          .forEach((k, v) -> to90.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
      part.labelsTo90ChanceAdjusted()
          .forEach((k, v) -> to90adj.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
      seconds += part.seconds();
    }
    settings.put("seeds", "" + fullAcc.size());
    settings.remove("first-seed");
    settings.put("merged", args.get("merge"));
    Map<String, String> asArgs = new LinkedHashMap<>(settings);
    asArgs.put("out", args.getOrDefault("out", "target/active-learning"));
    asArgs.put("png", args.getOrDefault("png", "docs/img/active-learning.png"));
    new ActiveLearningBenchmark(asArgs)
        .report(new Results(settings, fullAcc, curves, to90, to90adj, seconds));
  }

  /**
   * The paths in a comma-separated list: merge=, sweep=, and a merged run's record of its parts.
   */
  static List<Path> paths(String list) {
    List<Path> paths = new ArrayList<>();
    for (String file : list.split(",")) {
      paths.add(Path.of(file.trim()));
    }
    return paths;
  }

  /**
   * Refuses runs whose settings differ in a key outside {@code free}; a key that one of them lacks
   * differs too, whichever of the two it is.
   */
  static void requireSameSettings(
      Map<String, String> first, Map<String, String> other, Set<String> free, String refusal) {
    Set<String> keys = new TreeSet<>(first.keySet());
    keys.addAll(other.keySet());
    for (String key : keys) {
      if (!free.contains(key) && !Objects.equals(other.get(key), first.get(key))) {
        throw new IllegalArgumentException(
            refusal + ": " + key + " " + first.get(key) + " and " + other.get(key));
      }
    }
  }

  private int integer(String key, int fallback) {
    return Integer.parseInt(args.getOrDefault(key, Integer.toString(fallback)));
  }

  void run() throws IOException {
    long t0 = System.nanoTime();
    Files.createDirectories(Path.of(args.getOrDefault("out", "target/active-learning")));
    QualitySpec spec = new QualitySpec(DIMS, dim, hidden, members, 0.1);
    List<Double> fullAcc = new ArrayList<>();
    List<Curve> curves = new ArrayList<>();
    Map<String, List<Double>> to90 = new LinkedHashMap<>();
    Map<String, List<Double>> to90adj = new LinkedHashMap<>();
    List<Strategy> strategies =
        Boolean.parseBoolean(args.getOrDefault("baseline", "true"))
            ? List.of(Strategy.RANDOM, active)
            : List.of(active);
    for (int s = 0; s < seeds; s++) {
      long seed = firstSeed + s;
      Simulation sim = Simulation.standard(images, dim, DIMS, seed);
      int poolSize = images * 4 / 5;
      int[] pool = new int[poolSize];
      int[] test = new int[images - poolSize];
      for (int i = 0; i < images; i++) {
        if (i < poolSize) {
          pool[i] = i;
        } else {
          test[i - poolSize] = i;
        }
      }
      Random r = new Random(seed);
      int[][] testPairs = new int[4000][];
      for (int i = 0; i < testPairs.length; i++) {
        int a = r.nextInt(test.length);
        int b = (a + 1 + r.nextInt(test.length - 1)) % test.length;
        testPairs[i] = new int[] {a, b};
      }
      float[][] testEmb = sim.embeddings(test);
      Map<String, float[]> emb = sim.embeddingMap();
      List<Comparison> fullSet = sim.randomComparisons(pool, full, new Random(seed * 31));
      double accFull;
      try (QualityTrainer.Result res =
          trainer(seed, fullEpochs).train(spec, Split.none(fullSet), emb, null)) {
        accFull = sim.trueAccuracy(test, res.model().scores(testEmb), testPairs);
      }
      fullAcc.add(accFull);
      log("seed %d: all %d labels -> accuracy %.4f", seed, full, accFull);
      List<String> poolIds = new ArrayList<>();
      for (int i : pool) {
        poolIds.add(Simulation.id(i));
      }
      float[][] poolEmb = sim.embeddings(pool);
      for (Strategy strategy : strategies) {
        Random rater = new Random(seed * 101 + strategy.ordinal());
        List<Comparison> labels = new ArrayList<>();
        if (coldStart && strategy == Strategy.DESIGN) {
          // As `train select` does before the first model: the design picks the first pairs too.
          ActiveLearning.Options o =
              new ActiveLearning.Options(strategy, candidates, initial, diversity, seed * 7919 - 1);
          for (ActiveLearning.Selection sel :
              ActiveLearning.select(null, poolIds, poolEmb, Set.of(), o)) {
            labels.add(sim.comparison(index(sel.leftId()), index(sel.rightId()), rater));
          }
        } else {
          labels.addAll(sim.randomComparisons(pool, initial, new Random(seed * 17)));
        }
        List<Integer> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        QualityModel model = null;
        int round = 0;
        while (true) {
          QualityTrainer.Result res =
              trainer(seed + round, roundEpochs(labels.size(), strategy))
                  .train(spec, Split.none(labels), emb, warm ? model : null);
          if (model != null) {
            model.close();
          }
          model = res.model();
          double acc = sim.trueAccuracy(test, model.scores(testEmb), testPairs);
          xs.add(labels.size());
          ys.add(acc);
          log(
              "seed %d %-12s labels %4d accuracy %.4f (%.0f%% of all-labels)",
              seed, strategy.label(), labels.size(), acc, 100 * acc / accFull);
          if (labels.size() >= budget || (stopAtBars && acc >= chanceAdjustedBar(accFull))) {
            break; // the chance-adjusted bar is the later one: past it, both have been crossed
          }
          Set<String> exclude = new HashSet<>();
          for (Comparison c : labels) {
            exclude.add(PairKey.of(c.leftId(), c.rightId()));
          }
          ActiveLearning.Options o =
              new ActiveLearning.Options(
                  strategy,
                  candidates,
                  Math.min(batch, budget - labels.size()),
                  diversity,
                  seed * 7919 + round);
          for (ActiveLearning.Selection sel :
              ActiveLearning.select(model, poolIds, poolEmb, exclude, o)) {
            labels.add(sim.comparison(index(sel.leftId()), index(sel.rightId()), rater));
          }
          round++;
        }
        model.close();
        curves.add(new Curve(strategy.label(), seed, xs, ys));
        to90.computeIfAbsent(strategy.label(), k -> new ArrayList<>())
            .add(labelsToReach(xs, ys, bar(accFull)));
        to90adj
            .computeIfAbsent(strategy.label(), k -> new ArrayList<>())
            .add(labelsToReach(xs, ys, chanceAdjustedBar(accFull)));
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("seeds", "" + seeds);
    settings.put("first-seed", "" + firstSeed);
    settings.put("threads", System.getProperty("ai.djl.pytorch.num_threads"));
    settings.put("images", "" + images);
    settings.put("dim", "" + dim);
    settings.put("dimensions", "" + DIMS.size());
    settings.put("initial", "" + initial);
    settings.put("batch", "" + batch);
    settings.put("budget", "" + budget);
    settings.put("full", "" + full);
    settings.put("members", "" + members);
    settings.put("hidden", "" + hidden);
    settings.put("epochs", "" + epochs);
    settings.put("steps", "" + steps);
    settings.put("active-steps", "" + activeSteps);
    settings.put(
        "bootstrap",
        switch (bootstrap) {
          case EPOCH -> "true";
          case MEMBER -> "member";
          case NONE -> "false";
        });
    settings.put("warm", "" + warm);
    settings.put("full-epochs", "" + fullEpochs);
    settings.put("candidates", "" + candidates);
    settings.put("diversity", "" + diversity);
    settings.put("strategy", active.label());
    settings.put("cold-start", "" + coldStart);
    settings.put("baseline", "" + (strategies.size() > 1));
    settings.put("stop", stopAtBars ? "bars" : "budget");
    report(new Results(settings, fullAcc, curves, to90, to90adj, seconds));
  }

  /** Writes results.json, the picture and the table. */
  private void report(Results results) throws IOException {
    Path out = Path.of(args.getOrDefault("out", "target/active-learning"));
    Files.createDirectories(out);
    List<Strategy> strategies =
        results.labelsTo90().containsKey(Strategy.RANDOM.label())
            ? List.of(Strategy.RANDOM, active)
            : List.of(active);
    Files.write(
        out.resolve("results.json"),
        Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(results));
    Path png = Path.of(args.getOrDefault("png", "docs/img/active-learning.png"));
    if (png.getParent() != null) {
      Files.createDirectories(png.getParent());
    }
    if (stopAtBars) {
      perSeedChart(results, png);
    } else {
      chart(results.curves(), results.fullAccuracy(), strategies, png);
    }
    printTable(results, strategies);
  }

  private static final int BATCH = 64;

  private QualityTrainer trainer(long seed, int epochCount) {
    return new QualityTrainer(
        new TrainingOptions(1e-3, 1e-4, BATCH, epochCount, epochCount, 0, seed, bootstrap, false));
  }

  /**
   * Epochs of one round: at least {@code epochs}, and at least {@code steps} optimiser steps
   * ({@code active-steps} for the active strategy).
   */
  int roundEpochs(int labels, Strategy strategy) {
    int s = strategy == Strategy.RANDOM ? steps : activeSteps;
    return Math.max(epochs, (int) Math.ceil(s * (double) BATCH / labels));
  }

  private static int index(String id) {
    return Integer.parseInt(id.substring(id.indexOf('-') + 1));
  }

  /** The first label count at which the curve reaches {@code target}, linearly interpolated. */
  static double labelsToReach(List<Integer> xs, List<Double> ys, double target) {
    for (int i = 0; i < xs.size(); i++) {
      if (ys.get(i) >= target) {
        if (i == 0) {
          return xs.get(0);
        }
        double x0 = xs.get(i - 1);
        double y0 = ys.get(i - 1);
        return x0 + (target - y0) / (ys.get(i) - y0) * (xs.get(i) - x0);
      }
    }
    return Double.NaN; // not reached within the budget
  }

  private void printTable(Results r, List<Strategy> strategies) {
    System.out.printf(
        "%nall-labels accuracy (%d random labels): %s, mean %.4f%n",
        full, fmt(r.fullAccuracy(), "%.4f"), mean(r.fullAccuracy()));
    System.out.println();
    System.out.println(
        "| strategy | labels to 90 % of all-labels accuracy, per seed | mean | chance-adjusted"
            + " (90 % of the way from 0.5), mean |");
    System.out.println("| --- | --- | --- | --- |");
    for (Strategy s : strategies) {
      List<Double> v = r.labelsTo90().get(s.label());
      List<Double> a = r.labelsTo90ChanceAdjusted().get(s.label());
      System.out.printf(
          "| %s | %s | %.0f | %.0f (%s) |%n",
          s.label(), fmt(v, "%.0f"), mean(v), mean(a), fmt(a, "%.0f"));
    }
    if (r.labelsTo90().containsKey("random")) {
      double ratio = mean(r.labelsTo90().get(active.label())) / mean(r.labelsTo90().get("random"));
      double ratioAdj =
          mean(r.labelsTo90ChanceAdjusted().get(active.label()))
              / mean(r.labelsTo90ChanceAdjusted().get("random"));
      System.out.printf(
          "%n%s / random: %.2f (chance-adjusted %.2f); goal <= 0.60. Ran %.0f s.%n",
          active.label(), ratio, ratioAdj, r.seconds());
    } else {
      System.out.printf(
          "%nNo random baseline in this run (baseline=false). Ran %.0f s.%n", r.seconds());
    }
    // mean accuracy per label count
    System.out.println();
    System.out.print("| labels |");
    for (Strategy s : strategies) {
      System.out.print(" " + s.label() + " accuracy (mean ± sd) |");
    }
    System.out.println();
    System.out.println("| --- |" + " --- |".repeat(strategies.size()));
    List<Integer> xs = r.curves().get(0).labels();
    int rows = xs.size();
    for (Curve c : r.curves()) {
      rows = Math.min(rows, c.labels().size()); // stop=bars: only label counts every run reached
    }
    for (int i = 0; i < rows; i++) {
      System.out.print("| " + xs.get(i) + " |");
      for (Strategy s : strategies) {
        double[] ms = meanSd(r.curves(), s.label(), i);
        System.out.printf(" %.4f ± %.4f |", ms[0], ms[1]);
      }
      System.out.println();
    }
  }

  private static double[] meanSd(List<Curve> curves, String strategy, int i) {
    List<Double> v = new ArrayList<>();
    for (Curve c : curves) {
      if (c.strategy().equals(strategy) && i < c.accuracy().size()) {
        v.add(c.accuracy().get(i));
      }
    }
    double m = mean(v);
    double sq = 0;
    for (double x : v) {
      sq += (x - m) * (x - m);
    }
    return new double[] {m, v.size() > 1 ? Math.sqrt(sq / (v.size() - 1)) : 0};
  }

  private static double mean(List<Double> v) {
    double s = 0;
    int n = 0;
    for (double x : v) {
      if (!Double.isNaN(x)) {
        s += x;
        n++;
      }
    }
    return n < v.size() ? Double.NaN : s / n; // NaN when any seed did not reach the target
  }

  private static String fmt(List<Double> v, String f) {
    List<String> s = new ArrayList<>();
    for (double x : v) {
      s.add(Double.isNaN(x) ? "not reached" : String.format(f, x));
    }
    return String.join(", ", s);
  }

  private void chart(List<Curve> curves, List<Double> fullAcc, List<Strategy> strategies, Path png)
      throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(560)
            .title("Active learning (" + active.label() + ") vs random pairs, " + seeds + " seeds")
            .xAxisTitle("labels (rated pairs)")
            .yAxisTitle("held-out pairwise accuracy vs true utility")
            .build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    Color[] colors = {new Color(120, 120, 120), new Color(200, 60, 40)};
    int ci = 0;
    double top = 0; // the highest mean accuracy of any strategy
    for (Strategy s : strategies) {
      List<Integer> xs = curves.get(0).labels();
      double[] x = new double[xs.size()];
      double[] m = new double[xs.size()];
      double[] sd = new double[xs.size()];
      for (int i = 0; i < xs.size(); i++) {
        x[i] = xs.get(i);
        double[] ms = meanSd(curves, s.label(), i);
        m[i] = ms[0];
        top = Math.max(top, ms[0]);
        sd[i] = ms[1];
      }
      XYSeries series = chart.addSeries(s.label() + " (mean ± sd)", x, m, sd);
      series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      series.setLineColor(colors[ci % colors.length]);
      series.setMarkerColor(colors[ci % colors.length]);
      series.setMarker(SeriesMarkers.CIRCLE);
      ci++;
    }
    double mf = mean(fullAcc);
    List<Integer> xs = curves.get(0).labels();
    XYSeries f =
        chart.addSeries(
            String.format("90 %% of all-labels accuracy (%.3f)", bar(mf)),
            new double[] {xs.get(0), xs.get(xs.size() - 1)},
            new double[] {bar(mf), bar(mf)});
    f.setMarker(SeriesMarkers.NONE);
    f.setLineColor(new Color(40, 90, 200));
    double adjusted = chanceAdjustedBar(mf);
    if (adjusted <= top + 0.01) { // drawn only where a curve comes within a point of it
      XYSeries g =
          chart.addSeries(
              String.format("chance-adjusted: 90 %% of the way from 0.5 (%.3f)", adjusted),
              new double[] {xs.get(0), xs.get(xs.size() - 1)},
              new double[] {adjusted, adjusted});
      g.setMarker(SeriesMarkers.NONE);
      g.setLineColor(new Color(120, 160, 230));
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /**
   * stop=bars: the labels each seed needed to reach each bar, random pairs (x) against the active
   * strategy (y), each bar's mean in black (issue's bar: square, later bar: triangle), and the
   * lines y = x and y = 0.6 x (the goal). A seed that did not reach a bar within the budget is
   * drawn at the budget, as a diamond, and counts as the budget in the mean (which is then a
   * bound).
   */
  private void perSeedChart(Results r, Path png) throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(560)
            .title(
                "Labels to each bar per seed: "
                    + active.label()
                    + " vs random pairs, "
                    + seeds
                    + " seeds")
            .xAxisTitle("random pairs: labels to the bar")
            .yAxisTitle(active.label() + ": labels to the bar")
            .build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    double extent =
        Math.max(
            addBarSeries(
                chart,
                "issue's bar: 90 % of all-labels accuracy",
                r.labelsTo90(),
                new Color(40, 90, 200),
                SeriesMarkers.SQUARE),
            addBarSeries(
                chart,
                "chance-adjusted: 90 % of the way from 0.5",
                r.labelsTo90ChanceAdjusted(),
                new Color(200, 60, 40),
                SeriesMarkers.TRIANGLE_UP));
    for (double slope : new double[] {1.0, 0.6}) {
      XYSeries line =
          chart.addSeries(
              slope == 1.0 ? "same labels" : "goal: 0.6 x random",
              new double[] {0, extent},
              new double[] {0, slope * extent});
      line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      line.setMarker(SeriesMarkers.NONE);
      line.setLineColor(slope == 1.0 ? new Color(150, 150, 150) : new Color(60, 160, 60));
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /** Adds one bar's points and mean; returns the largest coordinate drawn. */
  private double addBarSeries(
      XYChart chart,
      String name,
      Map<String, List<Double>> perSeed,
      Color color,
      Marker meanMarker) {
    List<Double> rnd = perSeed.get(Strategy.RANDOM.label());
    List<Double> act = perSeed.get(active.label());
    List<double[]> reached = new ArrayList<>();
    List<double[]> missed = new ArrayList<>();
    for (int i = 0; i < rnd.size(); i++) {
      double x = rnd.get(i);
      double y = act.get(i);
      double[] p = {Double.isNaN(x) ? budget : x, Double.isNaN(y) ? budget : y};
      (Double.isNaN(x) || Double.isNaN(y) ? missed : reached).add(p);
    }
    List<double[]> all = new ArrayList<>(reached);
    all.addAll(missed);
    double[] mean = {
      all.stream().mapToDouble(p -> p[0]).average().orElse(0),
      all.stream().mapToDouble(p -> p[1]).average().orElse(0)
    };
    for (List<double[]> points : List.of(reached, missed)) {
      if (points.isEmpty()) {
        continue;
      }
      XYSeries s =
          chart.addSeries(
              points == reached ? name : name + ", not reached (at the budget)",
              points.stream().mapToDouble(p -> p[0]).toArray(),
              points.stream().mapToDouble(p -> p[1]).toArray());
      s.setMarker(points == reached ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
      s.setMarkerColor(points == reached ? color : color.brighter());
    }
    // the mean last, so that it is drawn over the points
    XYSeries m =
        chart.addSeries(
            String.format(
                    "mean%s: %.0f and %.0f labels",
                    missed.isEmpty() ? "" : " (missed counted as the budget)", mean[0], mean[1])
                + (act.stream().anyMatch(v -> v.isNaN())
                    ? ""
                    : String.format( // random's misses only make its mean, and the ratio, bounds
                        " (%s%.2f x)", missed.isEmpty() ? "" : "at most ", mean[1] / mean[0])),
            new double[] {mean[0]},
            new double[] {mean[1]});
    m.setMarker(meanMarker);
    m.setMarkerColor(Color.BLACK);
    return all.stream().flatMapToDouble(p -> Arrays.stream(p)).max().orElse(budget) * 1.05;
  }

  /** The bar: 90 % of the all-labels accuracy. */
  private static double bar(double allLabels) {
    return 0.9 * allLabels;
  }

  /**
   * The later bar printed beside it: 90 % of the way from chance (0.5) to the all-labels accuracy.
   */
  static double chanceAdjustedBar(double allLabels) {
    return 0.5 + 0.9 * (allLabels - 0.5);
  }

  private static void log(String format, Object... values) {
    System.err.printf(format + "%n", values);
  }
}
