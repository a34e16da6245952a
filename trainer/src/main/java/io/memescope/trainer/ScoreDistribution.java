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
    if (!(max > min)) {
      max = min + 1;
    }
    double width = (max - min) / BINS;
    for (int d = 0; d < dimensions.size(); d++) {
      int[] counts = new int[BINS];
      for (float[] row : scores) {
        counts[Math.min(BINS - 1, (int) ((row[d] - min) / width))]++;
      }
      List<Double> xs = new ArrayList<>();
      List<Integer> ys = new ArrayList<>();
      for (int b = 0; b < BINS; b++) {
        xs.add(min + (b + 0.5) * width);
        ys.add(counts[b]);
      }
      chart.addSeries(dimensions.get(d), xs, ys).setMarker(SeriesMarkers.NONE);
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
