package io.memescope.trainer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws a training run's learning curves as a PNG: per member, training and validation loss by
 * epoch (left) and validation pairwise accuracy (right), with each member's kept epoch marked.
 * Needs no display ({@code java.awt.headless} is set if unset).
 */
public final class LearningCurve {
  private static final Color[] COLORS = {
    new Color(31, 119, 180),
    new Color(255, 127, 14),
    new Color(44, 160, 44),
    new Color(214, 39, 40),
    new Color(148, 103, 189),
    new Color(140, 86, 75),
    new Color(227, 119, 194),
    new Color(127, 127, 127)
  };

  private LearningCurve() {}

  public static void write(TrainingReport report, Path png) throws IOException {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    try (OutputStream out = Files.newOutputStream(png)) {
      BitmapEncoder.saveBitmap(charts(report), 1, 2, out, BitmapEncoder.BitmapFormat.PNG);
    }
  }

  /** The two panels: loss, and validation accuracy. */
  static List<XYChart> charts(TrainingReport report) {
    XYChart loss = chart("Bradley-Terry loss", "loss");
    XYChart accuracy = chart("Validation pairwise accuracy (ties excluded)", "accuracy");
    for (TrainingReport.MemberCurve m : report.members()) {
      Color c = COLORS[Math.floorMod(m.member() - 1, COLORS.length)];
      add(loss, "member " + m.member() + " train", m.trainLoss(), c, true);
      if (!m.validationLoss().isEmpty()) {
        add(loss, "member " + m.member() + " validation", m.validationLoss(), c, false);
        if (m.validationAccuracy().stream().anyMatch(Double::isFinite)) {
          add(accuracy, "member " + m.member(), m.validationAccuracy(), c, false);
        }
      }
      if (!m.validationLoss().isEmpty() && m.bestEpoch() >= 1) {
        XYSeries best =
            loss.addSeries(
                "member " + m.member() + " kept (epoch " + m.bestEpoch() + ")",
                new double[] {m.bestEpoch()},
                new double[] {m.validationLoss().get(m.bestEpoch() - 1)});
        best.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        best.setMarker(SeriesMarkers.DIAMOND);
        best.setMarkerColor(c);
        best.setShowInLegend(false);
      }
    }
    if (accuracy.getSeriesMap().isEmpty()) {
      accuracy.setTitle(
          report.validationPairs() == 0
              ? "no validation pairs"
              : "no accuracy: every validation pair is a tie");
    }
    return List.of(loss, accuracy);
  }

  private static XYChart chart(String title, String y) {
    XYChart chart =
        new XYChartBuilder()
            .width(640)
            .height(440)
            .title(title)
            .xAxisTitle("epoch")
            .yAxisTitle(y)
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setMarkerSize(4);
    chart.getStyler().setLegendFont(chart.getStyler().getLegendFont().deriveFont(9f));
    return chart;
  }

  private static void add(
      XYChart chart, String name, List<Double> values, Color color, boolean dashed) {
    if (values.isEmpty()) {
      return;
    }
    double[] x = new double[values.size()];
    double[] y = new double[values.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = i + 1;
      y[i] = values.get(i);
    }
    XYSeries s = chart.addSeries(name, x, y);
    s.setLineColor(color);
    s.setMarker(SeriesMarkers.NONE);
    if (dashed) {
      s.setLineStyle(
          new BasicStroke(
              1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 3f}, 0f));
    }
  }
}
