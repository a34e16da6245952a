package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.quality.QualitySpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearningCurveTest {
  @TempDir Path dir;

  @Test
  void a_validation_set_of_ties_only_still_draws_a_picture() throws Exception {
    // Every held-out pair a tie: accuracy (ties excluded) is NaN in every epoch.
    double nan = Double.NaN;
    TrainingReport report =
        new TrainingReport(
            new QualitySpec(List.of("funny"), 4, List.of(3), 2, 0.0),
            TrainingOptions.defaults(),
            Instant.now(),
            1.0,
            10,
            3,
            0,
            0,
            List.of(
                new TrainingReport.MemberCurve(
                    1,
                    1,
                    2,
                    List.of(0.7, 0.6, 0.5),
                    List.of(0.69, 0.68, 0.69),
                    List.of(nan, nan, nan)),
                new TrainingReport.MemberCurve(
                    2, 2, 1, List.of(0.7, 0.6), List.of(0.69, 0.7), List.of(nan, nan))),
            Map.of("accuracy", nan),
            100,
            0);
    Path png = dir.resolve("curve.png");
    LearningCurve.write(report, png);
    var image = javax.imageio.ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isGreaterThan(600);
    var accuracy = LearningCurve.charts(report).get(1);
    assertThat(accuracy.getSeriesMap()).as("no line of NaN").isEmpty();
    assertThat(accuracy.getTitle()).isEqualTo("no accuracy: every validation pair is a tie");
  }
}
