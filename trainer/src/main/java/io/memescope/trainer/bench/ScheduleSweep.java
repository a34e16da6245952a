package io.memescope.trainer.bench;

import io.memescope.core.records.Json;
import io.memescope.trainer.ActiveLearning.Strategy;
import io.memescope.trainer.bench.ActiveLearningBenchmark.Curve;
import io.memescope.trainer.bench.ActiveLearningBenchmark.Results;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The labels each strategy needs to reach each bar, against its training schedule (optimiser steps
 * per round), from runs of {@link ActiveLearningBenchmark} that differ only in {@code steps} and
 * {@code active-steps}; and the ratio with each strategy on its best schedule for each bar.
 *
 * <p>The models are warm-started every round, so the training a model has had at a given label
 * count depends on the schedule, and the best schedule differs between strategies and between the
 * two bars (docs/benchmarks.md). A ratio is only fair with each strategy on its own best schedule;
 * this finds it among the runs given and says how sure the ratio is (a bootstrap over seeds, paired
 * by seed). The best schedules are chosen on the same seeds the ratio is measured on, which could
 * flatter the ratio; so the report also gives it with the schedules chosen on two thirds of the
 * seeds and measured on the other third, pooled over three folds.
 *
 * <pre>java ... ActiveLearningBenchmark sweep=a/results.json,b/results.json,... [out=...] [png=...]
 * </pre>
 *
 * Runs of one strategy and schedule on different seeds (blocks run side by side) are joined; a seed
 * run more than once on the same schedule is averaged. Every strategy and schedule must end up with
 * the same seeds, and every other setting must be the same.
 */
final class ScheduleSweep {
  /** The settings that may differ between the runs of a sweep. */
  private static final Set<String> FREE =
      Set.of("seeds", "first-seed", "merged", "steps", "active-steps");

  static final String[] BARS = {"issue's bar", "chance-adjusted"};
  private static final double GOAL = 0.6;
  private static final int RESAMPLES = 20_000;
  private static final int FOLDS = 3;

  /** One strategy at one schedule: labels to each bar, per seed (NaN: not reached). */
  record Point(String strategy, int steps, int replicates, Map<Long, double[]> perSeed) {
    double mean(int bar) {
      return mean(bar, perSeed.keySet());
    }

    double mean(int bar, Set<Long> seeds) {
      double s = 0;
      for (long seed : seeds) {
        s += perSeed.get(seed)[bar];
      }
      return s / seeds.size(); // NaN if any seed did not reach the bar
    }

    double halfWidth(int bar) { // 95 % interval of the mean, normal approximation
      double m = mean(bar);
      double sq = 0;
      for (double[] v : perSeed.values()) {
        sq += (v[bar] - m) * (v[bar] - m);
      }
      int n = perSeed.size();
      return n > 1 ? 1.96 * Math.sqrt(sq / (n - 1) / n) : 0;
    }
  }

  /** Each strategy on its best schedule for one bar. */
  record Best(
      String bar,
      Point random,
      Point active,
      double ratio,
      double low,
      double high,
      double shareAtGoal,
      int seedsAtGoal,
      int seeds,
      double heldOut,
      List<String> heldOutChoices) {}

  /** What the sweep found: every point, and the best pairing for each bar (null: none). */
  record Sweep(List<Point> points, List<Best> best) {}

  private ScheduleSweep() {}

  static Sweep run(List<Path> files, Path out, Path png) throws IOException {
    Sweep sweep = analyse(read(files));
    Files.createDirectories(out);
    Files.write(
        out.resolve("sweep.json"),
        Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(sweep));
    if (png.getParent() != null) {
      Files.createDirectories(png.getParent());
    }
    chart(sweep, png);
    System.out.print(table(sweep));
    return sweep;
  }

  /**
   * Reads the runs; refuses a file given twice, or a merged file together with one of its parts,
   * since either would pass for a replicate.
   */
  static List<Results> read(List<Path> files) throws IOException {
    List<Results> runs = new ArrayList<>();
    Set<Path> given = new HashSet<>();
    for (Path f : files) {
      if (!given.add(f.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException(f + " is given twice");
      }
    }
    for (Path f : files) {
      Results r = Json.mapper().readValue(f.toFile(), Results.class);
      String merged = r.settings().get("merged");
      if (merged != null) {
        for (Path part : ActiveLearningBenchmark.paths(merged)) {
          if (given.contains(part.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException(f + " merges " + part + ", which is given as well");
          }
        }
      }
      runs.add(r);
    }
    return runs;
  }

  static Sweep analyse(List<Results> runs) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("sweep needs at least one results.json");
    }
    Map<String, String> first = runs.get(0).settings();
    // strategy -> steps -> the runs' per-seed labels to each bar
    Map<String, TreeMap<Integer, List<Map<Long, double[]>>>> byStrategy = new LinkedHashMap<>();
    for (Results r : runs) {
      ActiveLearningBenchmark.requireSameSettings(
          first,
          r.settings(),
          FREE,
          "runs of a sweep may differ only in steps, active-steps and seeds");
      for (String strategy : r.labelsTo90().keySet()) {
        String stepsKey =
            strategy.equals(Strategy.RANDOM.label()) || !r.settings().containsKey("active-steps")
                ? "steps"
                : "active-steps";
        int steps = Integer.parseInt(r.settings().get(stepsKey));
        List<Long> seeds = new ArrayList<>();
        for (Curve c : r.curves()) {
          if (c.strategy().equals(strategy)) {
            seeds.add(c.seed());
          }
        }
        List<Double> issue = r.labelsTo90().get(strategy);
        List<Double> later = r.labelsTo90ChanceAdjusted().get(strategy);
        if (later == null || issue.size() != seeds.size() || later.size() != seeds.size()) {
          throw new IllegalArgumentException(
              "a results.json whose "
                  + strategy
                  + " curves and labels to each bar do not match seed for seed");
        }
        Map<Long, double[]> perSeed = new TreeMap<>();
        for (int i = 0; i < seeds.size(); i++) {
          if (perSeed.put(seeds.get(i), new double[] {issue.get(i), later.get(i)}) != null) {
            throw new IllegalArgumentException(
                "seed " + seeds.get(i) + " is twice in one run of " + strategy);
          }
        }
        byStrategy
            .computeIfAbsent(strategy, k -> new TreeMap<>())
            .computeIfAbsent(steps, k -> new ArrayList<>())
            .add(perSeed);
      }
    }
    List<Point> points = new ArrayList<>();
    Set<Long> seeds = null;
    for (var s : byStrategy.entrySet()) {
      for (var e : s.getValue().entrySet()) {
        Point p = average(s.getKey(), e.getKey(), e.getValue());
        if (seeds == null) {
          seeds = p.perSeed().keySet();
        } else if (!seeds.equals(p.perSeed().keySet())) {
          throw new IllegalArgumentException(
              "every strategy and schedule needs the same seeds: "
                  + p.strategy()
                  + " at "
                  + p.steps()
                  + " steps has "
                  + describe(p.perSeed().keySet())
                  + ", others "
                  + describe(seeds));
        }
        points.add(p);
      }
    }
    List<Best> best = new ArrayList<>();
    String random = Strategy.RANDOM.label();
    String active =
        byStrategy.keySet().stream().filter(k -> !k.equals(random)).findFirst().orElse(null);
    for (int bar = 0; bar < BARS.length; bar++) {
      Point r = best(points, random, bar, seeds);
      Point a = active == null ? null : best(points, active, bar, seeds);
      best.add(r == null || a == null ? null : compare(BARS[bar], r, a, bar, points));
    }
    return new Sweep(points, best);
  }

  /**
   * The runs of one strategy and schedule: blocks of different seeds are joined, and a seed that
   * ran more than once (a replicate) is averaged.
   */
  private static Point average(String strategy, int steps, List<Map<Long, double[]>> runs) {
    Map<Long, double[]> sum = new TreeMap<>();
    Map<Long, Integer> count = new TreeMap<>();
    for (Map<Long, double[]> run : runs) {
      run.forEach(
          (seed, v) -> {
            double[] acc = sum.computeIfAbsent(seed, k -> new double[2]);
            acc[0] += v[0];
            acc[1] += v[1];
            count.merge(seed, 1, Integer::sum);
          });
    }
    Map<Long, double[]> mean = new TreeMap<>();
    sum.forEach(
        (seed, v) -> mean.put(seed, new double[] {v[0] / count.get(seed), v[1] / count.get(seed)}));
    int replicates = count.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    return new Point(strategy, steps, replicates, mean);
  }

  /**
   * The schedule with the fewest labels on average over {@code seeds}; schedules with one of them
   * short of the bar lose.
   */
  private static Point best(List<Point> points, String strategy, int bar, Set<Long> seeds) {
    Point best = null;
    for (Point p : points) {
      if (p.strategy().equals(strategy)
          && !Double.isNaN(p.mean(bar, seeds))
          && (best == null || p.mean(bar, seeds) < best.mean(bar, seeds))) {
        best = p;
      }
    }
    return best;
  }

  private static Best compare(String bar, Point random, Point active, int b, List<Point> points) {
    List<Long> seeds = new ArrayList<>(random.perSeed().keySet());
    int n = seeds.size();
    double[] x = new double[n];
    double[] y = new double[n];
    int atGoal = 0;
    for (int i = 0; i < n; i++) {
      x[i] = random.perSeed().get(seeds.get(i))[b];
      y[i] = active.perSeed().get(seeds.get(i))[b];
      if (y[i] <= GOAL * x[i]) {
        atGoal++;
      }
    }
    double ratio = Arrays.stream(y).sum() / Arrays.stream(x).sum();
    double[] boot = new double[RESAMPLES];
    Random rnd = new Random(1);
    int share = 0;
    for (int k = 0; k < RESAMPLES; k++) {
      double sx = 0;
      double sy = 0;
      for (int i = 0; i < n; i++) {
        int j = rnd.nextInt(n);
        sx += x[j];
        sy += y[j];
      }
      boot[k] = sy / sx;
      if (boot[k] <= GOAL) {
        share++;
      }
    }
    Arrays.sort(boot);
    // The same choice made without the seeds it is measured on: schedules chosen on two thirds of
    // the seeds (in order), the ratio measured on the other third, pooled over the three folds.
    double heldOut = Double.NaN;
    List<String> choices = new ArrayList<>();
    if (n >= FOLDS) {
      double sx = 0;
      double sy = 0;
      for (int f = 0; f < FOLDS; f++) {
        List<Long> test = seeds.subList(f * n / FOLDS, (f + 1) * n / FOLDS);
        Set<Long> train = new TreeSet<>(seeds);
        test.forEach(train::remove);
        Point r = best(points, random.strategy(), b, train);
        Point a = best(points, active.strategy(), b, train);
        if (r == null || a == null) {
          sx = Double.NaN;
          choices.add("none");
          continue;
        }
        choices.add(r.steps() + "/" + a.steps());
        for (long s : test) {
          sx += r.perSeed().get(s)[b];
          sy += a.perSeed().get(s)[b];
        }
      }
      heldOut = sy / sx; // NaN where a chosen schedule missed the bar on a held-out seed
    }
    return new Best(
        bar,
        random,
        active,
        ratio,
        boot[(int) (0.025 * RESAMPLES)],
        boot[(int) (0.975 * RESAMPLES) - 1],
        share / (double) RESAMPLES,
        atGoal,
        n,
        heldOut,
        choices);
  }

  static String table(Sweep sweep) {
    StringBuilder t = new StringBuilder();
    Set<String> strategies = new LinkedHashSet<>();
    TreeSet<Integer> steps = new TreeSet<>();
    for (Point p : sweep.points()) {
      strategies.add(p.strategy());
      steps.add(p.steps());
    }
    int seeds = sweep.points().get(0).perSeed().size();
    t.append(
        String.format(
            "%nMean labels to each bar (± 95 %% interval of the mean), %d seeds; a seed run more than"
                + " once on a schedule is averaged:%n%n",
            seeds));
    t.append("| steps per round |");
    for (String bar : BARS) {
      for (String s : strategies) {
        t.append(' ').append(s).append(", ").append(bar).append(" |");
      }
    }
    t.append('\n').append("| --- |").append(" --- |".repeat(BARS.length * strategies.size()));
    t.append('\n');
    for (int st : steps) {
      t.append("| ").append(st).append(" |");
      for (int bar = 0; bar < BARS.length; bar++) {
        for (String s : strategies) {
          Point p = find(sweep, s, st);
          t.append(' ').append(p == null ? "-" : cell(p, bar)).append(" |");
        }
      }
      t.append('\n');
    }
    for (Best b : sweep.best()) {
      if (b == null) {
        continue;
      }
      t.append(
          String.format(
              "%n%s, each strategy on its best schedule (chosen on these seeds): %s %d steps %.1f"
                  + " labels, %s %d steps %.1f; ratio %.3f (goal <= %.1f), 95 %% bootstrap interval"
                  + " over seeds %.2f-%.2f, %.1f %% of resamples <= %.1f; %d of %d seeds at <= %.1f"
                  + " x. Chosen on two thirds of the seeds and measured on the other third (%d"
                  + " folds; steps chosen, %s/%s: %s): %s%n",
              b.bar(),
              b.random().strategy(),
              b.random().steps(),
              b.random().mean(barIndex(b.bar())),
              b.active().strategy(),
              b.active().steps(),
              b.active().mean(barIndex(b.bar())),
              b.ratio(),
              GOAL,
              b.low(),
              b.high(),
              100 * b.shareAtGoal(),
              GOAL,
              b.seedsAtGoal(),
              b.seeds(),
              GOAL,
              FOLDS,
              b.random().strategy(),
              b.active().strategy(),
              String.join(", ", b.heldOutChoices()),
              Double.isNaN(b.heldOut())
                  ? "not measured (a chosen schedule missed the bar on a held-out seed, or fewer"
                      + " than 3 seeds)"
                  : String.format("%.3f", b.heldOut())));
    }
    return t.toString();
  }

  private static String cell(Point p, int bar) {
    double m = p.mean(bar);
    String runs = p.replicates() > 1 ? " (" + p.replicates() + " runs)" : "";
    if (Double.isNaN(m)) {
      long missed = p.perSeed().values().stream().filter(v -> Double.isNaN(v[bar])).count();
      return "not reached on " + missed + " seeds" + runs;
    }
    return String.format("%.1f ± %.1f%s", m, p.halfWidth(bar), runs);
  }

  private static int barIndex(String bar) {
    return Arrays.asList(BARS).indexOf(bar);
  }

  private static Point find(Sweep sweep, String strategy, int steps) {
    return sweep.points().stream()
        .filter(p -> p.strategy().equals(strategy) && p.steps() == steps)
        .findFirst()
        .orElse(null);
  }

  private static String describe(Set<Long> seeds) {
    return seeds.size() + " seeds (" + seeds.iterator().next() + "...)";
  }

  /**
   * Mean labels to each bar (± 95 % interval of the mean) against steps per round: random pairs
   * grey, the active strategy red; the issue's bar solid squares, the chance-adjusted bar
   * triangles. A schedule on which some seed missed a bar is left out of that bar's line.
   */
  private static void chart(Sweep sweep, Path png) throws IOException {
    int seeds = sweep.points().get(0).perSeed().size();
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(560)
            .title("Labels to each bar against the training schedule, " + seeds + " seeds")
            .xAxisTitle("optimiser steps per round (warm-started)")
            .yAxisTitle("mean labels to the bar (± 95 % interval)")
            .build();
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisDecimalPattern("#");
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
    Map<String, Color> colors = new LinkedHashMap<>();
    for (Point p : sweep.points()) {
      colors.putIfAbsent(
          p.strategy(),
          p.strategy().equals(Strategy.RANDOM.label())
              ? new Color(120, 120, 120)
              : new Color(200, 60, 40));
    }
    for (int bar = 0; bar < BARS.length; bar++) {
      for (var c : colors.entrySet()) {
        List<double[]> xy = new ArrayList<>();
        for (Point p : sweep.points()) {
          if (p.strategy().equals(c.getKey()) && !Double.isNaN(p.mean(bar))) {
            xy.add(new double[] {p.steps(), p.mean(bar), p.halfWidth(bar)});
          }
        }
        if (xy.isEmpty()) {
          continue;
        }
        XYSeries s =
            chart.addSeries(
                c.getKey() + ", " + BARS[bar],
                xy.stream().mapToDouble(v -> v[0]).toArray(),
                xy.stream().mapToDouble(v -> v[1]).toArray(),
                xy.stream().mapToDouble(v -> v[2]).toArray());
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setLineColor(c.getValue());
        s.setMarkerColor(c.getValue());
        s.setMarker(bar == 0 ? SeriesMarkers.SQUARE : SeriesMarkers.TRIANGLE_UP);
      }
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
