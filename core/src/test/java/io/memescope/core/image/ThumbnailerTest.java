package io.memescope.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.memescope.core.embed.PilImage;
import io.memescope.core.image.Thumbnailer.Thumbnail;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ThumbnailerTest {
  @Test
  void standard_sizes() {
    assertThat(Thumbnailer.SMALL).isEqualTo(new Thumbnailer.Size("small", 256));
    assertThat(Thumbnailer.LARGE).isEqualTo(new Thumbnailer.Size("large", 720));
  }

  @Test
  void a_large_image_is_scaled_to_the_width_keeping_the_aspect_ratio() throws IOException {
    PilImage meme = TestImages.pil(TestImages.meme(3, 1000, 750));

    Thumbnail small = Thumbnailer.of(meme, Thumbnailer.SMALL);
    Thumbnail large = Thumbnailer.of(meme, Thumbnailer.LARGE);

    assertThat(small.size()).isEqualTo("small");
    assertThat(small.format()).isEqualTo("jpeg");
    assertThat(small.contentType()).isEqualTo("image/jpeg");
    assertThat(new int[] {small.width(), small.height()}).containsExactly(256, 192);
    assertThat(new int[] {large.width(), large.height()}).containsExactly(720, 540);
    BufferedImage decoded = decode(small);
    assertThat(decoded.getWidth()).isEqualTo(256);
    assertThat(decoded.getHeight()).isEqualTo(192);
    assertThat(decode(large).getWidth()).isEqualTo(720);
  }

  @Test
  void odd_aspect_ratios_round_and_keep_at_least_one_pixel() throws IOException {
    Thumbnail thin = Thumbnailer.of(grey(5000, 3, 128), Thumbnailer.SMALL);
    assertThat(new int[] {thin.width(), thin.height()}).containsExactly(256, 1);
    assertThat(decode(thin).getHeight()).isEqualTo(1);

    Thumbnail tall = Thumbnailer.of(grey(1000, 3001, 128), "x", 300);
    assertThat(new int[] {tall.width(), tall.height()}).containsExactly(300, 900);
  }

  @Test
  void a_tall_image_fits_four_widths_high_so_its_thumbnails_stay_small_enough_to_store()
      throws IOException {
    // Noise: the worst case for JPEG's size. 400 x 20000 was 720-bounded only in width, and a
    // 1000 x 64000 one (within model.max-pixels) made a large thumbnail of 720 x 46080.
    java.util.Random random = new java.util.Random(7);
    BufferedImage noise = new BufferedImage(400, 20_000, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < noise.getHeight(); y++) {
      for (int x = 0; x < noise.getWidth(); x++) {
        noise.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    Thumbnail large = Thumbnailer.of(TestImages.pil(noise), Thumbnailer.LARGE);
    Thumbnail small = Thumbnailer.of(TestImages.pil(noise), Thumbnailer.SMALL);
    assertThat(new int[] {large.width(), large.height()}).containsExactly(58, 2880);
    assertThat(new int[] {small.width(), small.height()}).containsExactly(20, 1024);
    assertThat(Thumbnailer.target(1000, 64_000, 720)).containsExactly(45, 2880);
    // The largest thumbnail there can be, 720 x 2880 of noise: 1.6 MB (720 x 46080 was about 25).
    BufferedImage widest = new BufferedImage(720, 2880, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < widest.getHeight(); y++) {
      for (int x = 0; x < widest.getWidth(); x++) {
        widest.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    assertThat(Thumbnailer.of(TestImages.pil(widest), Thumbnailer.LARGE).data().length)
        .isLessThan(8 << 20);
  }

  @Test
  void a_small_image_is_never_enlarged() throws IOException {
    Thumbnail thumbnail = Thumbnailer.of(TestImages.pil(TestImages.meme(4, 200, 90)), "large", 720);
    assertThat(new int[] {thumbnail.width(), thumbnail.height()}).containsExactly(200, 90);
    assertThat(decode(thumbnail).getWidth()).isEqualTo(200);
  }

  @Test
  void transparency_is_flattened_onto_white() throws IOException {
    int w = 600;
    int h = 400;
    int[] px = new int[w * h * 4];
    for (int i = 0; i < w * h; i++) {
      boolean left = (i % w) < w / 2;
      // Left: black, fully transparent. Right: red at half opacity.
      px[i * 4] = left ? 0 : 255;
      px[i * 4 + 3] = left ? 0 : 128;
    }
    BufferedImage decoded =
        decode(Thumbnailer.of(PilImage.ofSamples("RGBA", w, h, px, null), "s", 60));

    assertRgbNear(decoded.getRGB(10, 20), 255, 255, 255);
    assertRgbNear(decoded.getRGB(50, 20), 255, 127, 127);
  }

  @Test
  void grey_and_palette_images_become_colour_jpegs() throws IOException {
    BufferedImage fromGrey = decode(Thumbnailer.of(grey(300, 300, 200), "s", 100));
    assertRgbNear(fromGrey.getRGB(50, 50), 200, 200, 200);

    int[] palette = {0x0000ff, 0x00ff00};
    int[] indices = new int[100 * 100];
    Arrays.fill(indices, 1);
    BufferedImage fromPalette =
        decode(Thumbnailer.of(PilImage.ofSamples("P", 100, 100, indices, palette), "s", 50));
    assertRgbNear(fromPalette.getRGB(25, 25), 0, 255, 0);
  }

  @Test
  void downscaling_averages_fine_detail_instead_of_aliasing() throws IOException {
    // One-pixel black and white stripes: a good filter turns them into even grey, while point
    // sampling would give black, white or moiré bands.
    int w = 2048;
    int h = 512;
    int[] px = new int[w * h];
    for (int i = 0; i < px.length; i++) {
      px[i] = (i % w) % 2 == 0 ? 0 : 255;
    }
    BufferedImage decoded =
        decode(Thumbnailer.of(PilImage.ofSamples("L", w, h, px, null), "s", 200));
    for (int x = 5; x < decoded.getWidth() - 5; x += 7) {
      int grey = decoded.getRGB(x, decoded.getHeight() / 2) & 0xff;
      assertThat(grey).as("x = %d", x).isBetween(110, 145);
    }
  }

  @Test
  void output_is_a_jpeg_of_reasonable_size() throws IOException {
    Thumbnail thumbnail = Thumbnailer.of(TestImages.pil(TestImages.meme(5, 1200, 900)), "l", 720);
    assertThat(thumbnail.data()).startsWith((byte) 0xff, (byte) 0xd8);
    assertThat(
            ImageIO.getImageReaders(
                    ImageIO.createImageInputStream(new ByteArrayInputStream(thumbnail.data())))
                .next()
                .getFormatName())
        .isEqualToIgnoringCase("jpeg");
    // 720x540 at quality 0.85: tens of kilobytes, not hundreds.
    assertThat(thumbnail.data().length).isBetween(5_000, 200_000);
  }

  @Test
  void several_sizes_at_once_match_one_at_a_time() throws IOException {
    PilImage meme = TestImages.pil(TestImages.meme(7, 1600, 1000));
    java.util.List<Thumbnail> both =
        Thumbnailer.of(meme, java.util.List.of(Thumbnailer.SMALL, Thumbnailer.LARGE));
    assertThat(both).extracting(Thumbnail::size).containsExactly("small", "large");
    for (Thumbnail cascaded : both) {
      Thumbnail alone =
          Thumbnailer.of(
              meme, cascaded.size().equals("small") ? Thumbnailer.SMALL : Thumbnailer.LARGE);
      assertThat(new int[] {cascaded.width(), cascaded.height()})
          .containsExactly(alone.width(), alone.height());
      // Scaled from the large one instead of from the full image: the same picture, within
      // what JPEG and one more resampling step change.
      BufferedImage a = decode(cascaded);
      BufferedImage b = decode(alone);
      long diff = 0;
      for (int y = 0; y < a.getHeight(); y++) {
        for (int x = 0; x < a.getWidth(); x++) {
          int p = a.getRGB(x, y);
          int q = b.getRGB(x, y);
          for (int shift = 0; shift < 24; shift += 8) {
            diff += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
          }
        }
      }
      double mean = diff / (3.0 * a.getWidth() * a.getHeight());
      assertThat(mean).as("mean difference of %s", cascaded.size()).isLessThan(4.0);
    }
    // The smallest image needs no cascade: one size in, one out.
    assertThat(
            Thumbnailer.of(
                grey(100, 50, 10), java.util.List.of(Thumbnailer.LARGE, Thumbnailer.SMALL)))
        .extracting(Thumbnail::width)
        .containsExactly(100, 100);
  }

  @Test
  void sizes_that_come_out_the_same_share_one_encoding() throws IOException {
    PilImage narrow = TestImages.pil(TestImages.meme(8, 200, 150)); // narrower than both sizes
    PilImage between = TestImages.pil(TestImages.meme(9, 500, 300)); // only the small one scales
    for (boolean nativeCodecs :
        NativeCodecs.available() ? new boolean[] {true, false} : new boolean[] {false}) {
      java.util.List<Thumbnail> same = Thumbnailer.of(narrow, Thumbnailer.SIZES, nativeCodecs);
      assertThat(same).extracting(Thumbnail::width).containsExactly(200, 200);
      assertThat(same.get(0).data()).as("native %s", nativeCodecs).isSameAs(same.get(1).data());
      assertThat(decode(same.get(0)).getWidth()).isEqualTo(200);

      java.util.List<Thumbnail> differ = Thumbnailer.of(between, Thumbnailer.SIZES, nativeCodecs);
      assertThat(differ).extracting(Thumbnail::width).containsExactly(256, 500);
      assertThat(differ.get(0).data()).isNotSameAs(differ.get(1).data());
      assertThat(decode(differ.get(0)).getWidth()).isEqualTo(256);
      assertThat(decode(differ.get(1)).getWidth()).isEqualTo(500);
    }
    if (NativeCodecs.available()) {
      // The ingest job's path: one decode, both sizes.
      byte[] jpeg = TestImages.jpeg(TestImages.meme(8, 200, 150), 0.9f);
      NativeCodecs.Analysis analysis =
          NativeCodecs.analyse(
              jpeg,
              3,
              java.util.List.of(new int[] {200, 150}, new int[] {200, 150}),
              Thumbnailer.QUALITY_PERCENT);
      assertThat(analysis.jpegs().get(0)).isSameAs(analysis.jpegs().get(1));
    }
  }

  @Test
  void a_non_positive_width_is_refused() {
    assertThatThrownBy(() -> Thumbnailer.of(grey(10, 10, 0), "zero", 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static PilImage grey(int w, int h, int value) {
    int[] px = new int[w * h];
    Arrays.fill(px, value);
    return PilImage.ofSamples("L", w, h, px, null);
  }

  private static BufferedImage decode(Thumbnail thumbnail) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(thumbnail.data()));
    assertThat(image).as("decodes as an image").isNotNull();
    return image;
  }

  private static void assertRgbNear(int rgb, int r, int g, int b) {
    assertThat((rgb >> 16) & 0xff).as("red").isCloseTo(r, offset(6));
    assertThat((rgb >> 8) & 0xff).as("green").isCloseTo(g, offset(6));
    assertThat(rgb & 0xff).as("blue").isCloseTo(b, offset(6));
  }
}
