package io.memescope.trainer;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A published version's raw score distribution over the sampled index, one histogram line per
 * dimension, as a PNG: what the stored percentiles are percentiles of, and whether a dimension
 * separates images at all (a narrow spike does not).
 */
public final class ScoreDistribution {
  private static final int BINS = 40;

  private ScoreDistribution() {}

  /**
   * @param scores [image][dimension] raw scores
   */
  public static void write(List<String> dimensions, float[][] scores, Path png) throws IOException {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(420)
            .title("Raw scores over " + scores.length + " images of the index")
            .xAxisTitle("raw score (Bradley-Terry scale)")
            .yAxisTitle("images")
            .build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (float[] row : scores) {
      for (float v : row) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    Bins bins = Bins.over(min, max, BINS);
    // Equally spaced x values get their ticks at data points: with bins on round edges (below),
    // those ticks fall on round numbers, written to the bin width's precision.
    chart.getStyler().setXAxisDecimalPattern(bins.pattern());
    for (int d = 0; d < dimensions.size(); d++) {
      int[] counts = new int[bins.count()];
      for (float[] row : scores) {
        counts[bins.of(row[d])]++;
      }
      // A step line from each bin's left edge, and one more point at the last bin's right edge so
      // that the last bin is drawn as wide as the others.
      List<Double> xs = new ArrayList<>();
      List<Integer> ys = new ArrayList<>();
      for (int b = 0; b < bins.count(); b++) {
        xs.add(bins.edge(b));
        ys.add(counts[b]);
      }
      xs.add(bins.edge(bins.count()));
      ys.add(counts[bins.count() - 1]);
      chart.addSeries(dimensions.get(d), xs, ys).setMarker(SeriesMarkers.NONE);
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /**
   * Histogram bins of a round width (1, 2, 2.5 or 5 times a power of ten) on edges that are
   * multiples of it, about {@code target} of them over [min, max]: an axis labelled at bin edges
   * then reads -0.45, -0.15, 0.15 rather than -0.449476820416749. (Until 2026-12-07 the bins were
   * (max - min) / 40 wide, from min.)
   */
  record Bins(double start, double width, int count, int decimals) {
    static Bins over(double min, double max, int target) {
      if (!Double.isFinite(min) || !Double.isFinite(max)) {
        throw new IllegalArgumentException("scores must be finite: " + min + " to " + max);
      }
      double span = max > min ? max - min : Math.max(1e-6, Math.abs(min) * 1e-3);
      int exponent = (int) Math.floor(Math.log10(span / target));
      double unit = Math.pow(10, exponent);
      double fraction = span / target / unit;
      double nice;
      int extra = 0;
      if (fraction <= 1) {
        nice = 1;
      } else if (fraction <= 2) {
        nice = 2;
      } else if (fraction <= 2.5) {
        nice = 2.5;
        extra = 1;
      } else if (fraction <= 5) {
        nice = 5;
      } else {
        nice = 10;
      }
      // Divided rather than multiplied by a negative power: 1 / 1e5 is the double nearest 1e-5,
      // 1 * Math.pow(10, -5) is not.
      double width = exponent < 0 ? nice / Math.pow(10, -exponent) : nice * unit;
      double start = Math.floor(min / width) * width;
      int count = Math.max(1, (int) Math.floor((max - start) / width) + 1);
      int decimals = Math.max(0, -(exponent + (nice == 10 ? 1 : 0))) + extra;
      return new Bins(start, width, count, decimals);
    }

    /** The bin of {@code v}, clamped to the first and the last. */
    int of(double v) {
      return Math.max(0, Math.min(count - 1, (int) Math.floor((v - start) / width)));
    }

    /** The left edge of bin {@code b} ({@code count}: the last one's right edge). */
    double edge(int b) {
      return start + b * width;
    }

    String pattern() {
      return decimals == 0 ? "0" : "0." + "0".repeat(decimals);
    }
  }
}
