package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ClipEncoderTest {
  static final List<String> TEXTS =
      List.of("a", "b c", "one does not simply", "😂", "x y z", "cat", "dog", "meme", "stonks", "");

  @Test
  void vectors_are_unit_length_and_independent_of_batch_size_and_threads() throws Exception {
    float[][] single;
    try (ClipEncoder one =
        ClipEncoder.load(GoldenFixture.MODEL, new EncoderOptions("cpu", 1, 1, 1_000_000))) {
      single = one.embedTexts(TEXTS);
    }
    try (ClipEncoder encoder =
        ClipEncoder.load(GoldenFixture.MODEL, new EncoderOptions("cpu", 3, 2, 1_000_000))) {
      assertThat(encoder.metadata().tiny()).isTrue();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<float[][]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> encoder.embedTexts(TEXTS)));
      }
      for (Future<float[][]> result : results) {
        float[][] batched = result.get();
        for (int i = 0; i < TEXTS.size(); i++) {
          assertThat(norm(batched[i])).isCloseTo(1.0, within(1e-5));
          for (int d = 0; d < batched[i].length; d++) {
            assertThat(batched[i][d]).isCloseTo(single[i][d], within(1e-5f));
          }
        }
      }
      pool.shutdown();
    }
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }
}
