package io.memescope.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The prefixes a uniform sample reads keep each query whole at every index size; a sample too large
 * for the heap is refused naming its setting.
 */
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

  @Test
  void a_sample_over_half_the_heap_is_refused_naming_its_setting() {
    long heap = 1L << 30;
    // 10 million 512-d vectors: about 22 GB, where the trainer used to die of an OutOfMemoryError.
    assertThatThrownBy(
            () -> IndexEmbeddings.checkMemory(10_000_000, 512, "trainer.active.pool", heap))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trainer.active.pool = 10000000 images")
        .hasMessageContaining("lower trainer.active.pool")
        .hasMessageContaining("-Xmx42g");
    // The default pool (2,000) and quantile sample (20,000) fit in far less.
    assertThatCode(() -> IndexEmbeddings.checkMemory(20_000, 512, "trainer.active.pool", heap))
        .doesNotThrowAnyException();
    assertThatCode(() -> IndexEmbeddings.checkMemory(200_000, 512, "x", heap))
        .as("about 440 MB, under half of 1 GB")
        .doesNotThrowAnyException();
  }
}
