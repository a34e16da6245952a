package io.memescope.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.memescope.core.embed.DecodeMemory;
import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
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
 * OpenCV's decodes reserve their native memory in budgets like {@link DecodeMemory#offHeap()}: what
 * the footprint formulas reserve covers what the process really takes (measured in a JVM of its
 * own), a decode waits while others hold the memory, and one larger than the whole budget waits for
 * all of it and runs alone.
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
    Path rgb = write("rgb.jpg", jpeg(TestImages.picture(w, h, BufferedImage.TYPE_INT_RGB), false));
    Path progressive =
        write("progressive.jpg", jpeg(TestImages.picture(w, h, BufferedImage.TYPE_INT_RGB), true));
    Path rgba = write("rgba.png", png(TestImages.picture(w, h, BufferedImage.TYPE_INT_ARGB)));
    Path grey = write("grey.png", png(TestImages.picture(w, h, BufferedImage.TYPE_BYTE_GRAY)));
    Path gif = write("palette.gif", gif(TestImages.picture(w, h, BufferedImage.TYPE_BYTE_INDEXED)));
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
            .redirectOutput(dir.resolve(kind + "-" + op + ".out").toFile())
            .start();
    if (!probe.waitFor(60, TimeUnit.SECONDS)) {
      probe.destroyForcibly();
      throw new AssertionError("the probe did not finish in 60 s");
    }
    String out = Files.readString(dir.resolve(kind + "-" + op + ".out")).trim();
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
   * A file larger than the whole native budget is not refused, nor sent to ImageIO (which would
   * need several times its heap): it waits until the budget is all free and takes all of it, so
   * that it decodes alone, through OpenCV.
   */
  @Test
  void a_file_larger_than_the_native_budget_waits_for_all_of_it_and_decodes_alone()
      throws Exception {
    byte[] png = png(TestImages.picture(1000, 1000, BufferedImage.TYPE_INT_ARGB));
    // Analysing it natively takes 8 MB and the file: more than the 6 MB budget.
    DecodeMemory natives = DecodeMemory.ofNative(6 * MB);
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, new DecodeMemory(64 * MB), natives);
    DecodeMemory.Lease held = natives.reserve(MB, "another image");
    long before = NativeCodecs.decodes();
    CompletableFuture<ImageAnalysis> analysis = analyseAsync(decoder, png);

    awaitWaiting(natives);
    assertThat(analysis).as("waits while 1 MB of the budget is held").isNotDone();
    held.close();
    assertThat(analysis.get(10, TimeUnit.SECONDS).width()).isEqualTo(1000);
    assertThat(NativeCodecs.decodes() - before).as("files handed to OpenCV").isEqualTo(1);
    assertThat(natives.reserved()).isZero();
    // The embedder's decode, and thumbnails of an image ImageIO decodes, are not refused either.
    byte[] gif = gif(TestImages.picture(1000, 1000, BufferedImage.TYPE_BYTE_INDEXED));
    DecodeMemory tiny = DecodeMemory.ofNative(2 * MB);
    ImageDecoder small = new ImageDecoder(64_000_000L, true, new DecodeMemory(64 * MB), tiny);
    assertThat(small.decode(png, mode -> 0, PilImage::width)).isEqualTo(1000);
    assertThat(ImageAnalysis.of(small, gif, Thumbnailer.SIZES).width()).isEqualTo(1000);
    assertThat(NativeCodecs.decodes() - before).isEqualTo(2);
    assertThat(tiny.reserved()).isZero();
  }

  /** An analysis waits while other decodes hold the native memory it needs, then runs. */
  @Test
  void an_analysis_waits_for_native_memory_held_by_others() throws Exception {
    byte[] jpeg = jpeg(TestImages.picture(1000, 1000, BufferedImage.TYPE_INT_RGB), false);
    DecodeMemory natives = DecodeMemory.ofNative(8 * MB); // the analysis needs 4 MB and the file
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, new DecodeMemory(64 * MB), natives);
    DecodeMemory.Lease held = natives.reserve(6 * MB, "another image");
    CompletableFuture<ImageAnalysis> analysis = analyseAsync(decoder, jpeg);

    awaitWaiting(natives);
    assertThat(analysis).as("4 MB more do not fit beside 6 of 8").isNotDone();
    held.close();
    assertThat(analysis.get(10, TimeUnit.SECONDS).width()).isEqualTo(1000);
    assertThat(natives.reserved()).isZero();
  }

  /** {@link ImageAnalysis#of} on another thread. */
  private static CompletableFuture<ImageAnalysis> analyseAsync(ImageDecoder decoder, byte[] file) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return ImageAnalysis.of(decoder, file, Thumbnailer.SIZES);
          } catch (ImageDecodeException e) {
            throw new AssertionError(e);
          }
        });
  }

  /** Until a decode is queued for {@code memory}, for at most 10 s. */
  private static void awaitWaiting(DecodeMemory memory) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (memory.waiting() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(memory.waiting()).as("decodes waiting").isEqualTo(1);
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
