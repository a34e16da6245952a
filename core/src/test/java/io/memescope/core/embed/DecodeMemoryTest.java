package io.memescope.core.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.memescope.core.image.NativeCodecs;
import io.memescope.core.image.PerceptualHash;
import io.memescope.core.image.TestImages;
import io.memescope.core.image.Thumbnailer;
import io.memescope.core.model.ModelMetadata;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoding budget: what it refuses, that decodes wait for each other rather than exceed it, and
 * that what {@link ImageDecoder} reserves covers what a decode and its use really allocate.
 */
class DecodeMemoryTest {
  private static final int MB = 1 << 20;

  private static ClipPreprocessor preprocessor;

  @BeforeAll
  static void preprocessor() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("models/tiny"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("models/tiny above the working directory").isNotNull();
    preprocessor = new ClipPreprocessor(ModelMetadata.read(dir.resolve("models/tiny")));
  }

  @Test
  void a_reservation_over_the_whole_budget_is_refused_with_the_figures() {
    DecodeMemory memory = new DecodeMemory(100L * MB);

    assertThatThrownBy(() -> memory.reserve(101L * MB, "8000x8000 RGBA"))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS))
        .hasMessageContaining("8000x8000 RGBA")
        .hasMessageContaining("101 MB")
        .hasMessageContaining("100 MB")
        .hasMessageContaining("model.max-pixels");
    assertThat(memory.reserved()).isZero();
  }

  @Test
  void a_reservation_waits_until_others_give_back_enough() throws Exception {
    DecodeMemory memory = new DecodeMemory(100L * MB);
    DecodeMemory.Lease first = memory.reserve(60L * MB, "first");
    CompletableFuture<DecodeMemory.Lease> second =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return memory.reserve(60L * MB, "second");
              } catch (ImageDecodeException e) {
                throw new AssertionError(e);
              }
            });

    Thread.sleep(300);
    assertThat(second).as("60 + 60 MB do not fit in 100").isNotDone();
    first.close();
    first.close(); // a second close gives nothing back twice
    DecodeMemory.Lease granted = second.get(10, TimeUnit.SECONDS);
    assertThat(memory.reserved()).isEqualTo(60L * MB);
    granted.close();
    assertThat(memory.reserved()).isZero();
  }

  @Test
  void an_interrupted_wait_is_a_cancellation_not_a_refusal() throws Exception {
    DecodeMemory memory = new DecodeMemory(10L * MB);
    DecodeMemory.Lease held = memory.reserve(10L * MB, "held");
    AtomicLong outcome = new AtomicLong();
    Thread waiter =
        new Thread(
            () -> {
              try {
                memory.reserve(MB, "waiting");
              } catch (CancellationException e) {
                outcome.set(Thread.currentThread().isInterrupted() ? 1 : 2);
              } catch (ImageDecodeException e) {
                outcome.set(3);
              }
            });
    waiter.start();
    Thread.sleep(200);
    waiter.interrupt();
    waiter.join(10_000);
    assertThat(outcome.get()).as("cancelled, with the interrupt flag set again").isEqualTo(1);
    held.close();
    assertThat(memory.reserved()).isZero();
  }

  @Test
  void an_image_too_large_for_the_budget_is_refused_before_it_is_decoded() throws Exception {
    assumeTrue(NativeCodecs.available(), "the figures are those of OpenCV's thumbnails");
    byte[] gif = encode(TestImages.picture(2000, 1500, BufferedImage.TYPE_BYTE_INDEXED), "gif");
    // 2000 x 1500 palette: twice 1 byte of raster, 1 of samples, and 3 for thumbnails a pixel.
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, new DecodeMemory(10L * MB));

    assertThatThrownBy(
            () -> decoder.decode(gif, Thumbnailer::heapBytesPerPixel, image -> image.width()))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS))
        .hasMessageContaining("2000x1500 P")
        .hasMessageContaining("18 MB");
    // The same file within a budget it fits.
    ImageDecoder roomy = new ImageDecoder(64_000_000L, true, new DecodeMemory(20L * MB));
    assertThat(roomy.decode(gif, Thumbnailer::heapBytesPerPixel, PilImage::width)).isEqualTo(2000);
  }

  @Test
  void a_decode_waits_while_another_holds_the_memory_it_needs() throws Exception {
    assumeTrue(NativeCodecs.available(), "the figures are those of OpenCV's decode");
    byte[] jpeg = encode(TestImages.picture(1000, 1000, BufferedImage.TYPE_INT_RGB), "jpeg");
    // Each decode reserves 3 MB (RGB samples) of a 5 MB budget: one at a time.
    DecodeMemory memory = new DecodeMemory(5L * MB);
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, memory);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return decoder.decode(
                    jpeg,
                    mode -> 0,
                    image -> {
                      inside.countDown();
                      await(release);
                      return image.width();
                    });
              } catch (ImageDecodeException e) {
                throw new AssertionError(e);
              }
            });
    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Integer> second =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return decoder.decode(jpeg, mode -> 0, PilImage::width);
              } catch (ImageDecodeException e) {
                throw new AssertionError(e);
              }
            });

    Thread.sleep(300);
    assertThat(second).as("waits for the first decode's use to end").isNotDone();
    release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    assertThat(memory.reserved()).isZero();
  }

  /**
   * The ingest job asks, before de-duplicating an image, whether the embedder's preprocessing could
   * ever fit: a PNG with alpha needs 8 bytes a pixel there (samples, and the premultiplied copy), 3
   * for its thumbnails (made by OpenCV). Nothing is reserved by asking.
   */
  @Test
  void whether_a_use_could_ever_fit_is_told_from_the_header() throws Exception {
    assumeTrue(NativeCodecs.available(), "the figures are those of OpenCV's decode");
    byte[] png = encode(TestImages.picture(2000, 1500, BufferedImage.TYPE_INT_ARGB), "png");
    DecodeMemory memory = new DecodeMemory(22L * MB); // 3 million pixels: 21 MB fit, 24 do not
    ImageDecoder decoder = new ImageDecoder(64_000_000L, true, memory);

    assertThatThrownBy(() -> decoder.checkFits(png, ClipPreprocessor::heapBytesPerPixel))
        .isInstanceOfSatisfying(
            ImageDecodeException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.TOO_MANY_PIXELS))
        .hasMessageContaining("2000x1500 RGBA would take about 23 MB");
    decoder.checkFits(png, mode -> 3); // the samples and a 3-byte copy: 21 MB
    decoder.checkFits(new byte[] {1, 2, 3}, ClipPreprocessor::heapBytesPerPixel); // not an image
    assertThat(memory.reserved()).isZero();
  }

  /** The native budget's property takes a size; one it cannot read is refused with its name. */
  @Test
  void the_native_budget_is_sized_by_its_property() {
    String old = System.getProperty(DecodeMemory.NATIVE_PROPERTY);
    try {
      System.setProperty(DecodeMemory.NATIVE_PROPERTY, "512m");
      assertThat(DecodeMemory.nativeCapacity()).isEqualTo(512L * MB);
      System.setProperty(DecodeMemory.NATIVE_PROPERTY, "lots");
      assertThatThrownBy(DecodeMemory::nativeCapacity)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(DecodeMemory.NATIVE_PROPERTY + "=lots");
      System.clearProperty(DecodeMemory.NATIVE_PROPERTY);
      assertThat(DecodeMemory.nativeCapacity())
          .as("by default, as large as the heap budget")
          .isEqualTo((long) (Runtime.getRuntime().maxMemory() * DecodeMemory.HEAP_SHARE));
    } finally {
      if (old == null) {
        System.clearProperty(DecodeMemory.NATIVE_PROPERTY);
      } else {
        System.setProperty(DecodeMemory.NATIVE_PROPERTY, old);
      }
    }
  }

  /**
   * Files of every decoding path: OpenCV's, ImageIO's, rotated, palette, 16-bit, with alpha, with a
   * transparent colour (stored as RGB, decoded as RGBA), grey with alpha.
   */
  static List<Object[]> files() throws Exception {
    int w = 3000;
    int h = 2000;
    List<Object[]> files = new ArrayList<>();
    BufferedImage rgb = TestImages.picture(w, h, BufferedImage.TYPE_INT_RGB);
    files.add(new Object[] {"JPEG (OpenCV)", encode(rgb, "jpeg"), true});
    files.add(new Object[] {"JPEG (ImageIO)", encode(rgb, "jpeg"), false});
    files.add(new Object[] {"rotated JPEG", withOrientation6(encode(rgb, "jpeg")), true});
    files.add(
        new Object[] {
          "grey JPEG", encode(TestImages.picture(w, h, BufferedImage.TYPE_BYTE_GRAY), "jpeg"), true
        });
    BufferedImage argb = TestImages.picture(w, h, BufferedImage.TYPE_INT_ARGB);
    files.add(new Object[] {"RGBA PNG (OpenCV)", encode(argb, "png"), true});
    files.add(new Object[] {"RGBA PNG (ImageIO)", encode(argb, "png"), false});
    files.add(
        new Object[] {
          "palette PNG",
          encode(TestImages.picture(w, h, BufferedImage.TYPE_BYTE_INDEXED), "png"),
          true
        });
    files.add(
        new Object[] {
          "GIF", encode(TestImages.picture(w, h, BufferedImage.TYPE_BYTE_INDEXED), "gif"), true
        });
    files.add(
        new Object[] {
          "16-bit grey PNG",
          encode(TestImages.picture(w, h, BufferedImage.TYPE_USHORT_GRAY), "png"),
          true
        });
    files.add(
        new Object[] {
          "BMP", encode(TestImages.picture(w, h, BufferedImage.TYPE_3BYTE_BGR), "bmp"), true
        });
    files.add(new Object[] {"RGB PNG with tRNS", withTransparentBlack(encode(rgb, "png")), true});
    files.add(new Object[] {"grey and alpha PNG", encode(greyAlpha(w, h), "png"), true});
    return files;
  }

  /**
   * What a decode and its use allocate on this thread, every array counted even where an earlier
   * one is already garbage, is at most what was reserved for them, plus 5 MB for what does not grow
   * with the pixel count (metadata, row buffers, the crop's passes, thumbnails): the reservation is
   * a bound on the heap they hold at once. A full-size array left out of it, at least a byte per
   * pixel of these 6-megapixel images, fails this.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void what_is_reserved_covers_what_is_allocated(String kind, byte[] file, boolean natives)
      throws Exception {
    DecodeMemory memory = new DecodeMemory(1L << 30);
    ImageDecoder decoder = new ImageDecoder(64_000_000L, natives, memory);
    for (String use : List.of("preprocess", "thumbnails")) {
      ImageDecoder.UseCost cost =
          use.equals("preprocess")
              ? ClipPreprocessor::heapBytesPerPixel
              : Thumbnailer::heapBytesPerPixel;
      AtomicLong reserved = new AtomicLong();
      ImageDecoder.Use<Object> work =
          image -> {
            reserved.set(memory.reserved());
            return use.equals("preprocess")
                ? preprocessor.apply(image)
                : List.of(PerceptualHash.of(image), Thumbnailer.of(image, Thumbnailer.SIZES));
          };
      decoder.decode(file, cost, work); // classes loaded, code compiled
      long before = allocated();
      decoder.decode(file, cost, work);
      long allocated = allocated() - before;
      assertThat(allocated)
          .as(
              "%s for %s: allocated %d MB, reserved %d MB",
              kind, use, allocated / MB, reserved.get() / MB)
          .isLessThanOrEqualTo(reserved.get() + 5L * MB)
          .isGreaterThanOrEqualTo(reserved.get() / 2);
      assertThat(memory.reserved()).isZero();
    }
  }

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static byte[] encode(BufferedImage image, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).as("a writer for %s", format).isTrue();
    return out.toByteArray();
  }

  /** An 8-bit grey image with alpha (PNG colour type 4), a gradient of both. */
  static BufferedImage greyAlpha(int w, int h) {
    java.awt.image.ComponentColorModel cm =
        new java.awt.image.ComponentColorModel(
            java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_GRAY),
            true,
            false,
            java.awt.Transparency.TRANSLUCENT,
            java.awt.image.DataBuffer.TYPE_BYTE);
    java.awt.image.WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
    int[] row = new int[w * 2];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        row[x * 2] = x * 255 / w;
        row[x * 2 + 1] = y * 255 / h;
      }
      raster.setPixels(0, y, w, 1, row);
    }
    return new BufferedImage(cm, raster, false, null);
  }

  /** The RGB PNG with a tRNS chunk making black transparent, before its first IDAT. */
  static byte[] withTransparentBlack(byte[] png) {
    int at = 8;
    while (!new String(png, at + 4, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("IDAT")) {
      at += 12 + java.nio.ByteBuffer.wrap(png, at, 4).getInt();
    }
    byte[] chunk = new byte[4 + 6]; // "tRNS", then red, green and blue as 16 bits each: 0
    System.arraycopy("tRNS".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, chunk, 0, 4);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(chunk);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(png, 0, at);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(6).array());
    out.writeBytes(chunk);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    out.write(png, at, png.length - at);
    return out.toByteArray();
  }

  /** The JPEG with an EXIF segment saying Orientation 6 (stored turned; shown upright). */
  static byte[] withOrientation6(byte[] jpeg) {
    byte[] tiff = {
      'M',
      'M',
      0,
      42,
      0,
      0,
      0,
      8, // big-endian, first IFD at 8
      0,
      1, // one entry
      0x01,
      0x12,
      0,
      3,
      0,
      0,
      0,
      1,
      0,
      6,
      0,
      0, // Orientation, SHORT, 1, value 6
      0,
      0,
      0,
      0 // no next IFD
    };
    byte[] exif = new byte[6 + tiff.length];
    System.arraycopy(new byte[] {'E', 'x', 'i', 'f', 0, 0}, 0, exif, 0, 6);
    System.arraycopy(tiff, 0, exif, 6, tiff.length);
    int length = exif.length + 2;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2); // SOI
    out.write(0xff);
    out.write(0xe1);
    out.write(length >> 8);
    out.write(length & 0xff);
    out.write(exif, 0, exif.length);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }
}
