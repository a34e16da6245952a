package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A window of a resize is the same samples as the whole resize cropped. The whole resize is checked
 * against Pillow's own output by ClipParityTest (the preprocessed tensors' SHA-256, both pass
 * orders, every mode); this checks that computing only a window changes none of them.
 */
class PilResampleTest {
  @Test
  void a_window_is_the_whole_resize_cropped_in_every_mode_and_pass_order() {
    Random random = new Random(11);
    int vertical = 0;
    int checked = 0;
    for (String mode : new String[] {"RGB", "RGBA", "L", "LA", "P"}) {
      for (int trial = 0; trial < 40; trial++) {
        PilImage image = image(random, mode, 1 + random.nextInt(300), 1 + random.nextInt(300));
        // Down and up, a little and a lot, and very tall targets (the vertical pass first).
        int width = 1 + random.nextInt(2 * image.width() + 8);
        int height =
            trial % 4 == 0
                ? 1 + random.nextInt(Math.max(1, image.height() / 3))
                : 1 + random.nextInt(2 * image.height() + 8);
        int dy = image.height() - height;
        if (dy > 0 && dy > (image.width() - width) * 2) {
          vertical++;
        }
        PilImage whole = PilResample.resizeBicubic(image, width, height);
        for (int window = 0; window < 4; window++) {
          int w = 1 + random.nextInt(width);
          int h = 1 + random.nextInt(height);
          int x0 = random.nextInt(width - w + 1);
          int y0 = random.nextInt(height - h + 1);
          PilImage part = PilResample.resizeBicubic(image, width, height, x0, y0, w, h);
          PilImage expected = PilResample.crop(whole, x0, y0, w, h);
          assertThat(part.samples())
              .as(
                  "%s %dx%d -> %dx%d, window %d,%d %dx%d",
                  mode, image.width(), image.height(), width, height, x0, y0, w, h)
              .isEqualTo(expected.samples());
          assertThat(new int[] {part.width(), part.height()}).containsExactly(w, h);
          checked++;
        }
      }
    }
    assertThat(checked).isEqualTo(800);
    assertThat(vertical).as("cases with the vertical pass first").isGreaterThan(20);
  }

  @Test
  void a_window_of_a_very_long_resize_allocates_for_the_window_only() {
    // An image of 1 x 20,000 (or 65,535) pixels: its short side goes to 224, so the whole resize
    // would be 224 x 4.5 (14.7) million samples, gigabytes, for a 224 x 224 centre crop.
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    Random random = new Random(3);
    for (String mode : new String[] {"P", "RGB", "RGBA"}) {
      for (int[] size : new int[][] {{1, 20_000}, {1, 65_535}, {65_535, 1}}) {
        PilImage image = image(random, mode, size[0], size[1]);
        boolean tall = size[1] > size[0];
        int longSide = (int) (224.0 * Math.max(size[0], size[1]) / Math.min(size[0], size[1]));
        int width = tall ? 224 : longSide;
        int height = tall ? longSide : 224;
        int x0 = (width - 224) / 2;
        int y0 = (height - 224) / 2;
        long before = threads.getCurrentThreadAllocatedBytes();
        PilImage part = PilResample.resizeBicubic(image, width, height, x0, y0, 224, 224);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(new int[] {part.width(), part.height()}).containsExactly(224, 224);
        assertThat(allocated)
            .as("%s %dx%d: bytes allocated", mode, size[0], size[1])
            .isLessThan(32L << 20);
      }
    }
  }

  @Test
  void a_window_outside_the_output_is_refused() {
    PilImage image = image(new Random(1), "RGB", 10, 10);
    assertThatThrownBy(() -> PilResample.resizeBicubic(image, 5, 5, 1, 0, 5, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside 5x5");
  }

  private static PilImage image(Random random, String mode, int width, int height) {
    int bands =
        switch (mode) {
          case "RGB" -> 3;
          case "RGBA" -> 4;
          case "LA" -> 2;
          default -> 1;
        };
    int[] pixels = new int[width * height * bands];
    // Smooth ramps with noise and a few hard edges, as in pictures: a filter's negative lobes
    // overshoot at edges, so the clipping is exercised too.
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < bands; c++) {
          int v = (x * 7 + y * 3 + c * 50) % 256;
          if (((x / 9) + (y / 13)) % 5 == 0) {
            v = 255 - v;
          }
          v = Math.max(0, Math.min(255, v + random.nextInt(21) - 10));
          pixels[(y * width + x) * bands + c] = mode.equals("P") ? v % 16 : v;
        }
      }
    }
    int[] palette = null;
    if (mode.equals("P")) {
      palette = new int[256];
      for (int i = 0; i < 256; i++) {
        palette[i] = random.nextInt(1 << 24);
      }
    }
    return PilImage.ofSamples(mode, width, height, pixels, palette);
  }
}
