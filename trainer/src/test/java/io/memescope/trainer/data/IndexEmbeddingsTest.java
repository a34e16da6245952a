package io.memescope.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The prefixes a uniform sample reads keep each query whole at every index size. */
class IndexEmbeddingsTest {
  @Test
  void prefixes_hold_at_most_a_few_thousand_images() {
    assertThat(IndexEmbeddings.prefixDigits(80)).isEqualTo(2);
    assertThat(IndexEmbeddings.prefixDigits(500_000)).isEqualTo(2); // 1,953 per prefix
    assertThat(IndexEmbeddings.prefixDigits(1_000_000)).isEqualTo(3); // 244
    assertThat(IndexEmbeddings.prefixDigits(100_000_000)).isEqualTo(4); // 1,526
    assertThat(IndexEmbeddings.prefixDigits(1_000_000_000)).isEqualTo(5); // 954
    for (long total = 1; total < 10_000_000_000L; total *= 3) {
      int d = IndexEmbeddings.prefixDigits(total);
      assertThat(total / (1L << (4 * d))).as("per prefix at %d", total).isLessThanOrEqualTo(2_000);
    }
  }
}
