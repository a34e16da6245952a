package io.memescope.trainer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A training run's learning curves as one PNG: loss (train solid, validation dashed) and held-out
 * pairwise accuracy per epoch, one colour per ensemble member, the kept epoch marked in the title.
 */
public final class LearningCurve {
  private static final Color[] COLOURS = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd),
    new Color(0x8c564b),
    new Color(0xe377c2),
    new Color(0x7f7f7f)
  };

  private LearningCurve() {}

  public static void write(TrainingReport report, Path png) throws IOException {
    XYChart loss =
        new XYChartBuilder()
            .width(800)
            .height(420)
            .title("Loss (train solid, validation dashed)")
            .xAxisTitle("epoch")
            .yAxisTitle("Bradley-Terry cross-entropy")
            .build();
    XYChart accuracy =
        new XYChartBuilder()
            .width(800)
            .height(380)
            .title(
                String.format(
                    "Held-out pairwise accuracy (ensemble: %.3f on %d pairs)",
                    report.metric("accuracy"), report.validationPairs()))
            .xAxisTitle("epoch")
            .yAxisTitle("accuracy")
            .build();
    for (XYChart c : List.of(loss, accuracy)) {
      c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
      c.getStyler().setChartBackgroundColor(Color.WHITE);
      c.getStyler().setMarkerSize(0);
    }
    int i = 0;
    for (TrainingReport.MemberCurve m : report.members()) {
      Color colour = COLOURS[i++ % COLOURS.length];
      String name = "member " + m.member() + " (best " + m.bestEpoch() + ")";
      add(loss, name + " train", m.trainLoss(), colour, false);
      add(loss, name + " val", m.validationLoss(), colour, true);
      add(accuracy, name, m.validationAccuracy(), colour, false);
    }
    BufferedImage top = BitmapEncoder.getBufferedImage(loss);
    BufferedImage bottom = BitmapEncoder.getBufferedImage(accuracy);
    BufferedImage out =
        new BufferedImage(
            Math.max(top.getWidth(), bottom.getWidth()),
            top.getHeight() + bottom.getHeight(),
            BufferedImage.TYPE_INT_RGB);
    var g = out.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, out.getWidth(), out.getHeight());
    g.drawImage(top, 0, 0, null);
    g.drawImage(bottom, 0, top.getHeight(), null);
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(out, "png", png.toFile());
  }

  private static void add(XYChart chart, String name, List<Double> ys, Color colour, boolean dash) {
    List<Integer> xs = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (int e = 0; e < ys.size(); e++) {
      Double y = ys.get(e);
      if (y != null && Double.isFinite(y)) {
        xs.add(e + 1);
        values.add(y);
      }
    }
    if (values.isEmpty()) {
      return;
    }
    XYSeries s = chart.addSeries(name, xs, values);
    s.setLineColor(colour);
    s.setMarker(SeriesMarkers.NONE);
    if (dash) {
      s.setLineStyle(
          new BasicStroke(
              1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    }
  }
}
