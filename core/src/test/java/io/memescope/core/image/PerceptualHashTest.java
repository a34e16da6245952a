package io.memescope.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.embed.PilImage;
import io.memescope.core.embed.PilResample;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntBinaryOperator;
import org.junit.jupiter.api.Test;

class PerceptualHashTest {
  /**
   * Hashes printed by Python imagehash 4.3.2 with Pillow 13.0.0 for the same arithmetic images
   * ({@code str(imagehash.phash(Image.fromarray(array, mode)))}, the arrays built with numpy from
   * the formulas below). The cases cover each mode, upscaling, both of Pillow's pass orders and an
   * unchanged dimension.
   */
  @Test
  void matches_imagehash_on_arithmetic_images() {
    assertThat(
            hex(
                rgb(
                    97,
                    61,
                    (x, y) -> (x * 7 + y * 3) % 256,
                    (x, y) -> (x * y) % 256,
                    (x, y) -> ((x ^ y) * 5) % 256)))
        .isEqualTo("8803073d1e1f3e7e");
    assertThat(hex(rgba(40, 300)))
        .as("tall: Pillow resizes vertically first")
        .isEqualTo("83853f6a4b5ad307");
    assertThat(hex(grey(20, 20, (x, y) -> (x * 13 + y * 7) % 256)))
        .as("upscaled")
        .isEqualTo("8837adab2a8a725e");
    assertThat(hex(grey(32, 100, (x, y) -> (x * x + y * 9) % 256)))
        .as("width already 32")
        .isEqualTo("875f0785079f071e");
    assertThat(
            hex(
                rgb(
                    500,
                    40,
                    (x, y) -> (x / 3) % 256,
                    (x, y) -> (y * 6) % 256,
                    (x, y) -> ((x * y) / 7) % 256)))
        .isEqualTo("80031f3f3e787173");
    assertThat(hex(palette64())).isEqualTo("fdf4c0c386cc1993");
  }

  @Test
  void hex_form_round_trips_and_distance_counts_bits() {
    assertThat(PerceptualHash.toHex(0x0123456789abcdefL)).isEqualTo("0123456789abcdef");
    assertThat(PerceptualHash.fromHex("fdf4c0c386cc1993")).isEqualTo(0xfdf4c0c386cc1993L);
    assertThat(PerceptualHash.distance(0L, -1L)).isEqualTo(64);
    assertThat(PerceptualHash.distance(0b1011L, 0b0110L)).isEqualTo(3);
    assertThat(PerceptualHash.distance(42L, 42L)).isZero();
  }

  @Test
  void survives_a_low_quality_jpeg_re_encode() throws Exception {
    for (long seed = 1; seed <= 8; seed++) {
      BufferedImage meme = TestImages.meme(seed, 500, 400);
      long original = PerceptualHash.of(TestImages.pil(meme));
      long jpeg = PerceptualHash.of(TestImages.jpegRoundTrip(meme, 0.3f));
      assertThat(PerceptualHash.distance(original, jpeg))
          .as("seed %d", seed)
          .isLessThanOrEqualTo(8);
    }
  }

  @Test
  void survives_a_half_size_copy() {
    for (long seed = 1; seed <= 8; seed++) {
      PilImage original = TestImages.pil(TestImages.meme(seed, 500, 400));
      PilImage half = PilResample.resizeBicubic(original, 250, 200);
      assertThat(PerceptualHash.distance(PerceptualHash.of(original), PerceptualHash.of(half)))
          .as("seed %d", seed)
          .isLessThanOrEqualTo(8);
    }
  }

  /**
   * A DCT hash is sensitive to cropping, since the whole frame shifts under the 32x32 grid: a 5 %
   * crop split evenly over the edges typically moves 4-6 bits, a single unlucky picture 12, and an
   * offset crop (all of it from two edges) more. The benchmark (docs/benchmarks.md) measures this
   * on photos; here the mean and the worst case are bounded.
   */
  @Test
  void survives_a_five_percent_crop() {
    int total = 0;
    int worst = 0;
    for (long seed = 1; seed <= 8; seed++) {
      PilImage original = TestImages.pil(TestImages.meme(seed, 500, 400));
      PilImage cropped = PilResample.crop(original, 12, 10, 475, 380);
      int d = PerceptualHash.distance(PerceptualHash.of(original), PerceptualHash.of(cropped));
      total += d;
      worst = Math.max(worst, d);
    }
    assertThat(total / 8.0).isLessThanOrEqualTo(8.0);
    assertThat(worst).isLessThanOrEqualTo(12);
  }

  @Test
  void unrelated_pictures_are_far_apart() {
    List<Long> hashes = new ArrayList<>();
    for (long seed = 100; seed < 120; seed++) {
      hashes.add(PerceptualHash.of(TestImages.pil(TestImages.meme(seed, 480, 360))));
    }
    long total = 0;
    int pairs = 0;
    int closest = 64;
    for (int i = 0; i < hashes.size(); i++) {
      for (int j = i + 1; j < hashes.size(); j++) {
        int d = PerceptualHash.distance(hashes.get(i), hashes.get(j));
        total += d;
        pairs++;
        closest = Math.min(closest, d);
      }
    }
    assertThat((double) total / pairs).isGreaterThanOrEqualTo(20.0);
    assertThat(closest).as("no unrelated pair looks like a near-duplicate").isGreaterThan(8);
  }

  @Test
  void alpha_is_dropped_as_pillow_convert_l_does() {
    PilImage rgb = TestImages.pil(TestImages.meme(7, 200, 150));
    int[] rgba = new int[200 * 150 * 4];
    for (int i = 0; i < 200 * 150; i++) {
      System.arraycopy(rgb.samples(), i * 3, rgba, i * 4, 3);
      rgba[i * 4 + 3] = i % 256;
    }
    assertThat(PerceptualHash.of(PilImage.ofSamples("RGBA", 200, 150, rgba, null)))
        .isEqualTo(PerceptualHash.of(rgb));
  }

  /**
   * OpenCV's layout (BGR, BGRA or grey bytes), from a Java array or read in place from native
   * memory, hashes to the imagehash values pinned above for the same pictures.
   */
  @Test
  void interleaved_samples_hash_as_the_same_picture_does() {
    PilImage rgb =
        rgb(
            97,
            61,
            (x, y) -> (x * 7 + y * 3) % 256,
            (x, y) -> (x * y) % 256,
            (x, y) -> ((x ^ y) * 5) % 256);
    PilImage rgba = rgba(40, 300);
    PilImage grey = grey(32, 100, (x, y) -> (x * x + y * 9) % 256);
    assertThat(interleavedHashes(rgb)).containsOnly("8803073d1e1f3e7e");
    assertThat(interleavedHashes(rgba)).containsOnly("83853f6a4b5ad307");
    assertThat(interleavedHashes(grey)).containsOnly("875f0785079f071e");
  }

  /** The hash of OpenCV's byte order of {@code image} from a byte[] and from a direct buffer. */
  private static List<String> interleavedHashes(PilImage image) {
    int bands = image.bands();
    int[] px = image.samples();
    byte[] samples = new byte[px.length];
    for (int i = 0; i < px.length; i += bands) {
      for (int c = 0; c < bands; c++) {
        // RGB(A) to BGR(A): swap the first and third channel.
        int from = bands >= 3 && c < 3 ? 2 - c : c;
        samples[i + c] = (byte) px[i + from];
      }
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(samples.length);
    direct.put(samples).flip();
    // A buffer whose samples start past its beginning and end before its capacity.
    ByteBuffer offset = ByteBuffer.allocateDirect(samples.length + 7);
    offset.put(new byte[] {1, 2, 3}).put(samples).put(new byte[] {4, 5, 6, 7});
    offset.position(3).limit(3 + samples.length);
    int w = image.width();
    int h = image.height();
    return List.of(
        PerceptualHash.toHex(PerceptualHash.ofInterleaved(samples, w, h, bands)),
        PerceptualHash.toHex(PerceptualHash.ofInterleaved(direct, w, h, bands)),
        PerceptualHash.toHex(PerceptualHash.ofInterleaved(offset, w, h, bands)));
  }

  private static String hex(PilImage image) {
    return PerceptualHash.toHex(PerceptualHash.of(image));
  }

  private static PilImage rgb(
      int w, int h, IntBinaryOperator r, IntBinaryOperator g, IntBinaryOperator b) {
    int[] px = new int[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = (y * w + x) * 3;
        px[i] = r.applyAsInt(x, y);
        px[i + 1] = g.applyAsInt(x, y);
        px[i + 2] = b.applyAsInt(x, y);
      }
    }
    return PilImage.ofSamples("RGB", w, h, px, null);
  }

  private static PilImage rgba(int w, int h) {
    int[] px = new int[w * h * 4];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = (y * w + x) * 4;
        px[i] = (x * 5 + y) % 256;
        px[i + 1] = (y * y) % 256;
        px[i + 2] = (x * x + 3 * y) % 256;
        px[i + 3] = (x * y) % 256;
      }
    }
    return PilImage.ofSamples("RGBA", w, h, px, null);
  }

  private static PilImage grey(int w, int h, IntBinaryOperator f) {
    int[] px = new int[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        px[y * w + x] = f.applyAsInt(x, y);
      }
    }
    return PilImage.ofSamples("L", w, h, px, null);
  }

  private static PilImage palette64() {
    int[] palette = new int[256];
    for (int i = 0; i < 256; i++) {
      int r = (i * 16) % 256;
      int g = Math.floorMod(255 - i * 16, 256);
      int b = (i * 37) % 256;
      palette[i] = (r << 16) | (g << 8) | b;
    }
    PilImage indices = grey(64, 64, (x, y) -> ((x / 8) + (y / 8) + (x * y) / 50) % 16);
    return PilImage.ofSamples("P", 64, 64, indices.samples(), palette);
  }
}
