package io.memescope.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import io.memescope.core.image.Thumbnailer.Thumbnail;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The ingest job's per-image analysis: OpenCV's one-decode path against the Java path it falls back
 * to (ImageIO, {@link Thumbnailer}'s Java2D scaling, {@link PerceptualHash#of(PilImage)}).
 */
class ImageAnalysisTest {
  private final ImageDecoder decoder = new ImageDecoder();

  @Test
  void the_natives_load_where_the_build_put_them() {
    String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
    String arch = System.getProperty("os.arch");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")),
        "the build carries linux-x86_64 natives (javacpp.platform)");
    assertThat(NativeCodecs.available()).as("%s", NativeCodecs.problem()).isTrue();
  }

  @Test
  void opencv_and_the_java_path_agree_on_every_kind_of_file() throws Exception {
    BufferedImage meme = TestImages.meme(3, 1500, 900);
    BufferedImage transparent = new BufferedImage(900, 1300, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = transparent.createGraphics();
    g.drawImage(TestImages.meme(4, 900, 1300), 0, 0, null);
    g.setComposite(java.awt.AlphaComposite.Clear);
    g.fillRect(100, 100, 300, 500); // a hole: shows the white the thumbnails are flattened onto
    g.dispose();
    BufferedImage grey = new BufferedImage(640, 480, BufferedImage.TYPE_BYTE_GRAY);
    grey.getGraphics().drawImage(TestImages.meme(5, 640, 480), 0, 0, null);
    Object[][] files = {
      {"RGB JPEG", TestImages.jpeg(meme, 0.9f)},
      {"RGB PNG", encode(meme, "png")},
      {"RGBA PNG", encode(transparent, "png")},
      {"grey PNG", encode(grey, "png")},
      {"grey JPEG", encode(grey, "jpeg")},
      {"GIF (Java path either way)", encode(meme, "gif")},
    };
    for (Object[] file : files) {
      byte[] bytes = (byte[]) file[1];
      ImageAnalysis fast = ImageAnalysis.of(decoder, bytes, Thumbnailer.SIZES);
      PilImage image = decoder.decode(bytes);
      ImageDecoder.WellFormed header = decoder.wellFormed(bytes);
      if (header != null) {
        // The native path itself, not a silent fall-back to ImageIO, gave that analysis.
        NativeCodecs.Analysis direct =
            NativeCodecs.analyse(
                bytes,
                header.channels(),
                List.of(
                    new int[] {
                      fast.thumbnails().get(0).width(), fast.thumbnails().get(0).height()
                    }),
                Thumbnailer.QUALITY_PERCENT);
        assertThat(direct).as("OpenCV's analysis of a %s", file[0]).isNotNull();
        assertThat(direct.perceptualHash()).isEqualTo(fast.perceptualHash());
      } else {
        assertThat(file[0]).asString().contains("Java path");
      }
      List<Thumbnail> slow = Thumbnailer.of(image, Thumbnailer.SIZES, false);
      assertThat(fast.width()).as("%s", file[0]).isEqualTo(image.width());
      assertThat(fast.height()).as("%s", file[0]).isEqualTo(image.height());
      assertThat(fast.perceptualHash())
          .as("pHash of a %s", file[0])
          .isEqualTo(PerceptualHash.of(image));
      assertThat(fast.thumbnails()).extracting(Thumbnail::size).containsExactly("small", "large");
      for (int i = 0; i < slow.size(); i++) {
        Thumbnail a = fast.thumbnails().get(i);
        Thumbnail b = slow.get(i);
        assertThat(new int[] {a.width(), a.height()})
            .as("%s %s", file[0], a.size())
            .containsExactly(b.width(), b.height());
        assertThat(meanDifference(a, b))
            .as("mean difference of the %s thumbnails of a %s", a.size(), file[0])
            .isLessThan(3.0);
      }
    }
  }

  @Test
  void the_hole_in_a_transparent_png_is_white() throws Exception {
    BufferedImage transparent = new BufferedImage(800, 600, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = transparent.createGraphics();
    g.setColor(java.awt.Color.BLUE);
    g.fillRect(0, 0, 400, 600); // left half opaque blue, right half fully transparent
    g.dispose();
    Thumbnail small =
        ImageAnalysis.of(decoder, encode(transparent, "png"), Thumbnailer.SIZES)
            .thumbnails()
            .get(0);
    BufferedImage read = ImageIO.read(new ByteArrayInputStream(small.data()));
    assertThat(read.getRGB(20, 20) & 0xffffff)
        .isCloseTo(0x0000ff, org.assertj.core.data.Offset.offset(0x000010));
    int right = read.getRGB(read.getWidth() - 20, 20);
    assertThat(List.of((right >> 16) & 0xff, (right >> 8) & 0xff, right & 0xff))
        .as("the transparent half, on white")
        .allSatisfy(c -> assertThat(c).isGreaterThan(245));
  }

  @Test
  void an_exif_rotated_jpeg_is_analysed_upright() throws Exception {
    // The golden fixture stored on its side with an EXIF orientation: the analysis takes the
    // Java path for it and reports it upright, as the decoder does.
    byte[] rotated = java.nio.file.Files.readAllBytes(goldenFixture("exif_rotated.jpg"));
    PilImage upright = decoder.decode(rotated);
    ImageAnalysis analysis = ImageAnalysis.of(decoder, rotated, Thumbnailer.SIZES);
    assertThat(new int[] {analysis.width(), analysis.height()})
        .containsExactly(upright.width(), upright.height());
    assertThat(analysis.perceptualHash()).isEqualTo(PerceptualHash.of(upright));
  }

  @Test
  void bad_files_give_the_decoders_reasons() throws Exception {
    assertThatThrownBy(() -> ImageAnalysis.of(decoder, new byte[0], Thumbnailer.SIZES))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.EMPTY));
    byte[] jpeg = TestImages.jpeg(TestImages.meme(1, 400, 300), 0.9f);
    byte[] truncated = java.util.Arrays.copyOf(jpeg, jpeg.length / 2);
    assertThatThrownBy(() -> ImageAnalysis.of(decoder, truncated, Thumbnailer.SIZES))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT));
    ImageDecoder strict = new ImageDecoder(10_000);
    assertThatThrownBy(() -> ImageAnalysis.of(strict, jpeg, Thumbnailer.SIZES))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS));
  }

  @Test
  void a_file_opencv_refuses_is_explained_by_imageio() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        NativeCodecs.available(), () -> "no OpenCV here: " + NativeCodecs.problem());
    // A PNG whose header is sound but whose image data is scrambled: OpenCV gets it first, refuses
    // it, and the reason comes from ImageIO, which is asked without OpenCV being asked again.
    byte[] png = encode(TestImages.meme(2, 64, 48), "png");
    int idat = new String(png, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("IDAT");
    for (int i = idat + 6; i < idat + 34; i++) {
      png[i] ^= 0x5a;
    }
    ImageDecoder.WellFormed file = decoder.wellFormed(png);
    assertThat(file).as("OpenCV's to decode, from its header").isNotNull();
    assertThat(
            NativeCodecs.analyse(png, file.channels(), java.util.List.of(new int[] {32, 24}), 85))
        .as("refused by OpenCV")
        .isNull();
    long before = NativeCodecs.decodes();
    assertThatThrownBy(() -> ImageAnalysis.of(decoder, png, Thumbnailer.SIZES))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT));
    assertThat(NativeCodecs.decodes() - before).as("files handed to OpenCV").isEqualTo(1);
  }

  private static java.nio.file.Path goldenFixture(String name) {
    java.nio.file.Path dir = java.nio.file.Path.of("").toAbsolutePath();
    while (dir != null && !java.nio.file.Files.isDirectory(dir.resolve("models/tiny/golden"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("models/tiny/golden above the working directory").isNotNull();
    return dir.resolve("models/tiny/golden").resolve(name);
  }

  private static double meanDifference(Thumbnail a, Thumbnail b) throws Exception {
    BufferedImage x = ImageIO.read(new ByteArrayInputStream(a.data()));
    BufferedImage y = ImageIO.read(new ByteArrayInputStream(b.data()));
    long diff = 0;
    for (int row = 0; row < x.getHeight(); row++) {
      for (int col = 0; col < x.getWidth(); col++) {
        int p = x.getRGB(col, row);
        int q = y.getRGB(col, row);
        for (int shift = 0; shift < 24; shift += 8) {
          diff += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
        }
      }
    }
    return diff / (3.0 * x.getWidth() * x.getHeight());
  }

  private static byte[] encode(BufferedImage image, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }
}
