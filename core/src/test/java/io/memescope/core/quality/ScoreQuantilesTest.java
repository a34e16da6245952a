package io.memescope.core.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScoreQuantilesTest {
  @Test
  void percentiles_of_a_uniform_sample_are_its_values() {
    float[][] scores = new float[1001][2];
    for (int i = 0; i <= 1000; i++) {
      scores[i][0] = i / 1000f; // uniform on [0, 1]
      scores[i][1] = -5 + i / 100f; // uniform on [-5, 5]
    }
    ScoreQuantiles q = ScoreQuantiles.of(List.of("a", "b"), scores);
    assertThat(q.percentile("a", 0.25f)).isCloseTo(0.25f, within(1e-3f));
    assertThat(q.percentile("b", 0f)).isCloseTo(0.5f, within(1e-3f));
    assertThat(q.percentile("a", -3f)).isZero();
    assertThat(q.percentile("a", 7f)).isEqualTo(1f);
    assertThat(ScoreQuantiles.overall(q.percentiles(List.of("a", "b"), new float[] {0.25f, 0f})))
        .isCloseTo(0.375f, within(1e-3f));
  }

  @Test
  void minus_zero_is_zero() {
    // The lowest quantile 0.0: -0.0 must land there too, not fall out of the table.
    float[][] scores = new float[101][1];
    for (int i = 0; i < scores.length; i++) {
      scores[i][0] = i / 100f;
    }
    ScoreQuantiles q = ScoreQuantiles.of(List.of("d"), scores);
    assertThat(q.percentile("d", -0.0f)).isEqualTo(q.percentile("d", 0.0f));
  }

  @Test
  void a_diverged_model_is_refused_not_scored() {
    float[][] scores = {{0f}, {1f}, {Float.NaN}};
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ScoreQuantiles.of(List.of("a"), scores))
        .hasMessageContaining("not publishable");
    ScoreQuantiles q = ScoreQuantiles.of(List.of("a"), new float[][] {{0f}, {1f}});
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> q.percentile("a", Float.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }

  @Test
  void percentile_is_monotonic_even_with_ties_in_the_sample() {
    Random r = new Random(1);
    float[][] scores = new float[500][1];
    for (int i = 0; i < scores.length; i++) {
      scores[i][0] = i < 200 ? 0f : (float) r.nextGaussian(); // a flat stretch at 0
    }
    ScoreQuantiles q = ScoreQuantiles.of(List.of("a"), scores);
    float last = -1;
    for (float s = -4; s <= 4; s += 0.01f) {
      float p = q.percentile("a", s);
      assertThat(p).isBetween(0f, 1f).isGreaterThanOrEqualTo(last);
      last = p;
    }
  }

  @Test
  void a_share_of_the_sample_tied_at_either_end_gets_the_middle_of_its_stretch() {
    float[][] scores = new float[1000][1];
    for (int i = 0; i < scores.length; i++) {
      // 30 % at the lowest score, 20 % at the highest, the rest spread between them
      scores[i][0] = i < 300 ? -1f : i >= 800 ? 2f : (i - 300) / 500f;
    }
    ScoreQuantiles q = ScoreQuantiles.of(List.of("a"), scores);
    assertThat(q.percentile("a", -1f)).isCloseTo(0.15f, within(0.01f));
    assertThat(q.percentile("a", 2f)).isCloseTo(0.90f, within(0.01f));
    assertThat(q.percentile("a", -1.5f)).isZero();
    assertThat(q.percentile("a", 2.5f)).isEqualTo(1f);
  }
}
