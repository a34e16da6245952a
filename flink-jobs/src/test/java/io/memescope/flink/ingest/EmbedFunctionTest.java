package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EmbedFunctionTest {
  @Test
  void a_vector_with_a_value_that_is_not_a_finite_number_is_not_one_to_store() {
    // The index sink's JSON refuses NaN: one such vector held every later commit, for good.
    assertThat(EmbedFunction.finite(new float[] {0.1f, -0.2f, 0f})).isTrue();
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      assertThat(EmbedFunction.finite(new float[] {0.1f, bad, 0f})).as("" + bad).isFalse();
    }
  }
}
