package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreDistributionTest {
  @TempDir Path dir;

  @Test
  void bins_have_round_edges_that_their_labels_write_exactly() {
    // A publication's raw scores, as the score picture of 2026-12-07 had them: its axis read
    // -0.449476820416749, -0.154618845321238, 0.140239129774272.
    ScoreDistribution.Bins bins = ScoreDistribution.Bins.over(-0.4494768, 0.7285, 40);
    assertThat(bins.width()).isCloseTo(0.05, within(1e-12));
    assertThat(bins.edge(0)).isCloseTo(-0.45, within(1e-12));
    assertThat(label(bins, 3)).isEqualTo("-0.30");
    assertThat(label(bins, 9)).isEqualTo("0.00");

    Random random = new Random(7);
    for (int i = 0; i < 2_000; i++) {
      double scale = Math.pow(10, random.nextInt(9) - 4);
      double min = (random.nextDouble() * 2 - 1) * scale * 10;
      double max = min + random.nextDouble() * scale * (random.nextBoolean() ? 1 : 20);
      bins = ScoreDistribution.Bins.over(min, max, 40);
      String where = min + " to " + max + ": " + bins;

      BigDecimal mantissa =
          BigDecimal.valueOf(bins.width()).stripTrailingZeros().movePointRight(300);
      String digits = mantissa.unscaledValue().toString().replaceAll("0+$", "");
      assertThat(digits).as(where).isIn("1", "2", "25", "5");
      assertThat(Math.abs(bins.start() / bins.width() - Math.rint(bins.start() / bins.width())))
          .as(where)
          .isLessThan(1e-6);
      assertThat(bins.count()).as(where).isBetween(1, 41);
      if (max - min > 0) {
        assertThat(bins.count()).as(where).isGreaterThanOrEqualTo(16);
      }
      // Every score lands in the bin whose edges hold it, the lowest and the highest included.
      for (double v : new double[] {min, max, min + (max - min) * random.nextDouble()}) {
        int b = bins.of(v);
        assertThat(bins.edge(b))
            .as(where + " at " + v)
            .isLessThanOrEqualTo(v + bins.width() * 1e-9);
        assertThat(bins.edge(b + 1)).as(where + " at " + v).isGreaterThan(v - bins.width() * 1e-9);
      }
      // Each edge's label is the edge itself, not a rounding of it.
      for (int b = 0; b <= bins.count(); b++) {
        assertThat(Double.parseDouble(label(bins, b)))
            .as(where + " edge " + b)
            .isCloseTo(bins.edge(b), within(bins.width() * 1e-6));
      }
    }
  }

  @Test
  void the_picture_is_drawn_for_one_score_or_for_all_scores_equal() throws Exception {
    Path png = dir.resolve("one.png");
    ScoreDistribution.write(List.of("funny", "pretty"), new float[][] {{0.25f, -3f}}, png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(800);

    Path same = dir.resolve("same.png");
    ScoreDistribution.write(List.of("funny"), new float[][] {{0f}, {0f}, {0f}}, same);
    assertThat(ImageIO.read(same.toFile()).getHeight()).isEqualTo(420);
  }

  private static String label(ScoreDistribution.Bins bins, int b) {
    return new DecimalFormat(bins.pattern(), DecimalFormatSymbols.getInstance(Locale.ROOT))
        .format(bins.edge(b));
  }
}
