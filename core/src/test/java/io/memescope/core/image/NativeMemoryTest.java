package io.memescope.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.memescope.core.embed.DecodeMemory;
import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * OpenCV's decodes reserve their native memory in {@link DecodeMemory#offHeap()}-style budgets:
 * what the footprint formulas reserve covers what the process really takes (measured in a JVM of
 * its own), a file that could never fit is decoded on the heap instead, and a decode waits while
 * others hold the memory.
 */
class NativeMemoryTest {
  private static final long MB = 1 << 20;

  @TempDir static Path dir;

  @BeforeAll
  static void natives() {
    assumeTrue(NativeCodecs.available(), "OpenCV's natives: " + NativeCodecs.problem());
  }

  static List<Object[]> cases() throws Exception {
    int w = 4000;
    int h = 3000;
    Path rgb = write("rgb.jpg", jpeg(picture(w, h, BufferedImage.TYPE_INT_RGB), false));
    Path progressive =
        write("progressive.jpg", jpeg(picture(w, h, BufferedImage.TYPE_INT_RGB), true));
    Path rgba = write("rgba.png", png(picture(w, h, BufferedImage.TYPE_INT_ARGB)));
    Path grey = write("grey.png", png(picture(w, h, BufferedImage.TYPE_BYTE_GRAY)));
    Path gif = write("palette.gif", gif(picture(w, h, BufferedImage.TYPE_BYTE_INDEXED)));
    List<Object[]> cases = new ArrayList<>();
    for (String op : List.of("analyse", "decode")) {
      cases.add(new Object[] {"JPEG", rgb, op});
      cases.add(new Object[] {"progressive JPEG", progressive, op});
      cases.add(new Object[] {"RGBA PNG", rgba, op});
      cases.add(new Object[] {"grey PNG", grey, op});
    }
    cases.add(new Object[] {"GIF", gif, "thumbnails"});
    return cases;
  }

  /**
   * In a JVM whose heap is resident from the start, the peak growth of its resident memory while
   * OpenCV decodes a 12-megapixel file is at most what is reserved for it (plus 4 MB for what does
   * not grow with the image), and at least three quarters of it: a full-size buffer left out of the
   * formula (a byte a pixel is 12 MB) fails the first, one counted that the code no longer
   * allocates (the whole converted copy {@code decode} once made) fails the second.
   */
  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("cases")
  void what_is_reserved_covers_the_native_memory_taken(String kind, Path file, String op)
      throws Exception {
    assumeTrue(
        Files.isWritable(Path.of("/proc/self/clear_refs")),
        "Linux's peak resident memory, which /proc/self/clear_refs resets");
    Process probe =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms384m",
                "-Xmx384m",
                "-XX:+AlwaysPreTouch",
                "-XX:+UseSerialGC",
                // C1 only: C2's compilations take native memory of their own while they run,
                // tens of MB for the hot loops of a large image, which would blur the measure.
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                NativeFootprintProbe.class.getName(),
                file.toString(),
                op)
            .redirectErrorStream(true)
            .start();
    String out = new String(probe.getInputStream().readAllBytes()).trim();
    assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(probe.exitValue()).as(out).isZero();
    String[] last = out.lines().reduce((a, b) -> b).orElseThrow().split(" ");
    long growth = Long.parseLong(last[0]);
    long reserved = Long.parseLong(last[1]);
    assertThat(growth)
        .as("%s, %s: grew by %d MB, reserved %d MB", kind, op, growth / MB, reserved / MB)
        .isLessThanOrEqualTo(reserved + 4 * MB)
        .isGreaterThanOrEqualTo(reserved * 3 / 4);
  }

  /**
   * A file whose analysis could never fit in the native budget is decoded and scaled by ImageIO and
   * Java on the heap, within that budget; its thumbnails, scaled by OpenCV from a copy, still
   * reserve native memory, and an image too large for even that is refused with the figures.
   */
  @Test
  void a_file_too_large_for_the_native_budget_is_decoded_on_the_heap() throws Exception {
    byte[] png = png(picture(1000, 1000, BufferedImage.TYPE_INT_ARGB));
    // Analysing it natively takes 8 MB and the file; its thumbnails from a heap copy, 4 MB.
    DecodeMemory natives = DecodeMemory.ofNative(6 * MB);
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, new DecodeMemory(64 * MB), natives);
    long before = NativeCodecs.decodes();

    ImageAnalysis analysis = ImageAnalysis.of(decoder, png, Thumbnailer.SIZES);

    assertThat(analysis.width()).isEqualTo(1000);
    assertThat(NativeCodecs.decodes() - before).as("files handed to OpenCV").isZero();
    assertThat(natives.reserved()).isZero();
    ImageDecoder tight =
        new ImageDecoder(
            64_000_000L, true, new DecodeMemory(64 * MB), DecodeMemory.ofNative(3 * MB));
    assertThatThrownBy(() -> ImageAnalysis.of(tight, png, Thumbnailer.SIZES))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS))
        .hasMessageContaining("1000x1000 thumbnails would take about 4 MB of native memory")
        .hasMessageContaining(DecodeMemory.NATIVE_PROPERTY);
  }

  /** The embedder's decode likewise: too large for the native budget, ImageIO decodes it. */
  @Test
  void a_decode_too_large_for_the_native_budget_goes_through_imageio() throws Exception {
    byte[] jpeg = jpeg(picture(1000, 1000, BufferedImage.TYPE_INT_RGB), false);
    DecodeMemory natives = DecodeMemory.ofNative(2 * MB); // the decode needs 3 MB and a band
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, new DecodeMemory(64 * MB), natives);
    long before = NativeCodecs.decodes();

    assertThat(decoder.decode(jpeg, mode -> 0, PilImage::width)).isEqualTo(1000);
    assertThat(NativeCodecs.decodes() - before).isZero();
    ImageDecoder roomy =
        new ImageDecoder(
            64_000_000L, true, new DecodeMemory(64 * MB), DecodeMemory.ofNative(8 * MB));
    assertThat(roomy.decode(jpeg, mode -> 0, PilImage::width)).isEqualTo(1000);
    assertThat(NativeCodecs.decodes() - before).isEqualTo(1);
  }

  /** An analysis waits while other decodes hold the native memory it needs, then runs. */
  @Test
  void an_analysis_waits_for_native_memory_held_by_others() throws Exception {
    byte[] jpeg = jpeg(picture(1000, 1000, BufferedImage.TYPE_INT_RGB), false);
    DecodeMemory natives = DecodeMemory.ofNative(8 * MB); // the analysis needs 4 MB and the file
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, new DecodeMemory(64 * MB), natives);
    DecodeMemory.Lease held = natives.reserve(6 * MB, "another image");
    CompletableFuture<ImageAnalysis> analysis =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ImageAnalysis.of(decoder, jpeg, Thumbnailer.SIZES);
              } catch (ImageDecodeException e) {
                throw new AssertionError(e);
              }
            });

    Thread.sleep(300);
    assertThat(analysis).as("4 MB more do not fit beside 6 of 8").isNotDone();
    held.close();
    assertThat(analysis.get(10, TimeUnit.SECONDS).width()).isEqualTo(1000);
    assertThat(natives.reserved()).isZero();
  }

  /** A gradient with a translucent oval: compresses like a picture, not like a flat fill. */
  static BufferedImage picture(int w, int h, int type) {
    BufferedImage image = new BufferedImage(w, h, type);
    Graphics2D g = image.createGraphics();
    g.setPaint(new GradientPaint(0, 0, new Color(200, 30, 40), w, h, new Color(20, 90, 220)));
    g.fillRect(0, 0, w, h);
    g.setColor(new Color(250, 250, 20, 128));
    g.fillOval(w / 4, h / 4, w / 2, h / 2);
    g.dispose();
    return image;
  }

  static byte[] jpeg(BufferedImage image, boolean progressive) throws Exception {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam param = writer.getDefaultWriteParam();
    if (progressive) {
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  static byte[] png(BufferedImage image) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, "png", out)).isTrue();
    return out.toByteArray();
  }

  static byte[] gif(BufferedImage image) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, "gif", out)).isTrue();
    return out.toByteArray();
  }

  private static Path write(String name, byte[] bytes) throws Exception {
    return Files.write(dir.resolve(name), bytes);
  }
}
