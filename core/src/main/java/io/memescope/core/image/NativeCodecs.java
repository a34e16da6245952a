package io.memescope.core.image;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGRA2RGBA;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenCV's JPEG and PNG codecs (libjpeg-turbo, libpng) and its SIMD resizing, through JavaCPP: the
 * fast path of {@link io.memescope.core.embed.ImageDecoder} and {@link Thumbnailer}, which decode
 * and thumbnail with them (docs/benchmarks.md, "Fetch, decode, thumbnail and hash throughput": the
 * ingest job's per-image analysis went from 37.5 to 192 images/s on two cores).
 *
 * <p>This class only runs the codecs; what may reach them is its callers' decision. The decoder
 * hands over only well-formed 8-bit JPEGs and PNGs whose size it has checked against its pixel
 * limit from the header, and takes every other file, and every file OpenCV refuses, through
 * ImageIO, whose error reasons it reports.
 *
 * <p>The natives are loaded on first use, once per JVM. Where they cannot load (another platform
 * than {@code javacpp.platform} at build time, or a JVM that loaded them in another class loader)
 * {@link #available()} is false, the reason is logged once, and callers use the Java codecs:
 * slower, never wrong. {@code -Dmemescope.native-codecs=false} turns the natives off.
 *
 * <p>OpenCV's own thread pool is set to one thread: the callers run on as many threads as the
 * stage's parallelism, and a second pool per JVM would only compete with them for the same cores.
 */
public final class NativeCodecs {
  /** The system property that turns the native codecs off ({@code false}). */
  public static final String PROPERTY = "memescope.native-codecs";

  private static final Logger LOG = LoggerFactory.getLogger(NativeCodecs.class);

  /** Files handed to OpenCV's decoder since the class loaded (tests: nothing is decoded twice). */
  private static final AtomicLong DECODES = new AtomicLong();

  static long decodes() {
    return DECODES.get();
  }

  private NativeCodecs() {}

  private static final class Loaded {
    /** Null when the natives are loaded; otherwise why not. */
    static final String PROBLEM = load();

    private static String load() {
      if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim())) {
        return PROPERTY + "=false";
      }
      try {
        Loader.load(opencv_core.class);
        Loader.load(opencv_imgproc.class);
        Loader.load(opencv_imgcodecs.class);
        opencv_core.setNumThreads(1);
        return null;
      } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError: any reason at all
        LOG.warn(
            "OpenCV's codecs are not available; decoding with ImageIO instead: {}", e.toString());
        return e.toString();
      }
    }
  }

  /** Whether the native codecs loaded; false falls back to ImageIO and Java2D. */
  public static boolean available() {
    return Loaded.PROBLEM == null;
  }

  /** Why {@link #available()} is false; null when it is true. */
  public static String problem() {
    return Loaded.PROBLEM;
  }

  /**
   * Decodes a JPEG or PNG as stored (no EXIF rotation, alpha kept) into {@code L}, {@code RGB} or
   * {@code RGBA} samples; null when OpenCV cannot decode it to 8-bit samples with {@code channels}
   * channels. The caller has checked the pixel count.
   */
  public static PilImage decode(byte[] bytes, int channels) {
    requireAvailable();
    try {
      return decodeSamples(bytes, channels);
    } catch (RuntimeException e) { // OpenCV's own refusal (cv::Exception): the caller falls back
      LOG.debug("OpenCV could not decode {} bytes: {}", bytes.length, e.toString());
      return null;
    }
  }

  private static PilImage decodeSamples(byte[] bytes, int channels) {
    try (PointerScope scope = new PointerScope()) {
      Mat image = imdecode(bytes, channels);
      if (image == null) {
        return null;
      }
      int width = image.cols();
      int height = image.rows();
      int n = samples(width, height, channels);
      if (n < 0) {
        return null;
      }
      byte[] pixels = new byte[n];
      if (channels == 1) {
        image.data().capacity(n).asByteBuffer().get(0, pixels);
        return new PilImage("L", width, height, pixels, null);
      }
      // OpenCV's order (BGR, BGRA) to Pillow's, a band of rows at a time: a whole converted copy
      // would hold the image twice in native memory.
      int code = channels == 3 ? COLOR_BGR2RGB : COLOR_BGRA2RGBA;
      int rowBytes = width * channels;
      int band = Math.max(1, Math.min(height, BAND_BYTES / rowBytes));
      Mat converted = new Mat(band, width, image.type());
      for (int y = 0; y < height; y += band) {
        int rows = Math.min(band, height - y);
        Mat into = rows == band ? converted : converted.rowRange(0, rows);
        cvtColor(image.rowRange(y, y + rows), into, code);
        into.data()
            .capacity((long) rows * rowBytes)
            .asByteBuffer()
            .get(0, pixels, y * rowBytes, rows * rowBytes);
      }
      return new PilImage(channels == 3 ? "RGB" : "RGBA", width, height, pixels, null);
    }
  }

  /** The rows {@link #decode} converts at once: about this many bytes (at least one row). */
  static final int BAND_BYTES = 1 << 20;

  /**
   * The native memory {@link #decode} holds at most for {@code file}, of {@code fileBytes}: the
   * file's copy, the decoded image, libjpeg's whole-image coefficient buffer where it needs one
   * (freed when the decode ends), then one band of converted rows. Measured against the process's
   * peak resident memory in NativeMemoryTest.
   */
  public static long decodeFootprint(ImageDecoder.WellFormed file, long fileBytes) {
    long width = file.width();
    long image = width * file.height() * file.channels();
    long band = file.channels() == 1 ? 0 : Math.max(BAND_BYTES, width * file.channels());
    return fileBytes + image + Math.max(file.coefficientBytes(), band);
  }

  /**
   * The native memory {@link #jpegThumbnails} holds at most: the image's copy (3 bytes a pixel) and
   * its halvings (a third of that in all).
   */
  public static long thumbnailsFootprint(long width, long height) {
    return 4 * width * height;
  }

  /**
   * The native memory {@link #analyse} holds at most, as {@link #decodeFootprint}: the file's copy
   * and the decoded image throughout; while decoding, libjpeg's coefficients; after, an opaque
   * 3-byte copy unless the image is already BGR, and the halvings towards the thumbnails (each a
   * quarter of the one before, a third of the opaque copy in all). The thumbnails themselves are
   * small enough to be left out.
   */
  public static long analysisFootprint(ImageDecoder.WellFormed file, long fileBytes) {
    long pixels = (long) file.width() * file.height();
    long opaque = file.channels() == 3 ? 0 : 3 * pixels;
    return fileBytes
        + pixels * file.channels()
        + Math.max(file.coefficientBytes(), opaque + pixels);
  }

  /**
   * JPEGs of an opaque image at each of {@code sizes} ({width, height} pairs, largest first), each
   * scaled from the one before: halved with area averaging (the mean of each 2x2 block) while both
   * sides are at least twice the target, then one bilinear step to the exact size. Within a factor
   * of two a bilinear step still reads every source pixel, so nothing aliases.
   *
   * @param bgr 3 bytes per pixel, blue first, row by row
   */
  public static List<byte[]> jpegThumbnails(
      byte[] bgr, int width, int height, List<int[]> sizes, int quality) {
    requireAvailable();
    try (PointerScope scope = new PointerScope()) {
      return jpegs(new Mat(height, width, CV_8UC3, new BytePointer(bgr)), sizes, quality);
    }
  }

  /**
   * What the ingest job keeps of an image, from one decode.
   *
   * @param width as stored (no EXIF rotation)
   * @param jpegs thumbnails in the order of the sizes asked for
   */
  public record Analysis(int width, int height, long perceptualHash, List<byte[]> jpegs) {}

  /**
   * Decodes a JPEG or PNG as stored and returns its {@link PerceptualHash} (of the samples as
   * decoded) and {@link #jpegThumbnails} of it (alpha composited onto white as {@link Thumbnailer}
   * does), without ever widening the samples into a {@link PilImage}; null when OpenCV cannot
   * decode it to 8-bit samples with {@code channels} channels. The caller has checked the pixel
   * count, and applies no EXIF orientation (it takes images with one the long way).
   */
  public static Analysis analyse(byte[] bytes, int channels, List<int[]> sizes, int quality) {
    requireAvailable();
    try {
      return analyseSamples(bytes, channels, sizes, quality);
    } catch (RuntimeException e) { // OpenCV's own refusal (cv::Exception): the caller falls back
      LOG.debug("OpenCV could not analyse {} bytes: {}", bytes.length, e.toString());
      return null;
    }
  }

  private static Analysis analyseSamples(
      byte[] bytes, int channels, List<int[]> sizes, int quality) {
    try (PointerScope scope = new PointerScope()) {
      Mat image = imdecode(bytes, channels);
      if (image == null) {
        return null;
      }
      int width = image.cols();
      int height = image.rows();
      int n = samples(width, height, channels);
      if (n < 0) {
        return null;
      }
      // Read in place: copying a megapixel's samples out costs a third of hashing them.
      ByteBuffer samples = image.data().capacity(n).asByteBuffer();
      long hash = PerceptualHash.ofInterleaved(samples, width, height, channels);
      Mat opaque = image;
      if (channels == 1) {
        opaque = new Mat();
        cvtColor(image, opaque, COLOR_GRAY2BGR);
      } else if (channels == 4) {
        // Flattened straight into native memory: a heap copy took 3 bytes a pixel (192 MB for 64
        // megapixels) outside the decoding budget, which OpenCV's own allocations are not in.
        opaque = new Mat(height, width, CV_8UC3);
        onWhite(samples, opaque.data().capacity((long) width * height * 3).asByteBuffer());
      }
      return new Analysis(width, height, hash, jpegs(opaque, sizes, quality));
    }
  }

  /**
   * The file decoded as stored, in the current {@link PointerScope}; null unless it has 8-bit
   * samples with {@code channels} channels.
   */
  private static Mat imdecode(byte[] bytes, int channels) {
    DECODES.incrementAndGet();
    Mat image =
        opencv_imgcodecs.imdecode(
            new Mat(1, bytes.length, CV_8UC1, new BytePointer(bytes)), IMREAD_UNCHANGED);
    // Continuous rows (as imdecode allocates them) are what the samples are read as.
    return image == null
            || image.empty()
            || image.depth() != CV_8U
            || image.channels() != channels
            || !image.isContinuous()
        ? null
        : image;
  }

  /** BGRA composited onto white with {@link Thumbnailer}'s formula, into {@code bgr}. */
  private static void onWhite(ByteBuffer bgra, ByteBuffer bgr) {
    int n = bgr.limit();
    for (int i = 0, j = 0; j < n; i += 4, j += 3) {
      int a = bgra.get(i + 3) & 0xff;
      bgr.put(j, (byte) Thumbnailer.over(bgra.get(i) & 0xff, a));
      bgr.put(j + 1, (byte) Thumbnailer.over(bgra.get(i + 1) & 0xff, a));
      bgr.put(j + 2, (byte) Thumbnailer.over(bgra.get(i + 2) & 0xff, a));
    }
  }

  private static List<byte[]> jpegs(Mat opaque, List<int[]> sizes, int quality) {
    List<byte[]> out = new ArrayList<>(sizes.size());
    Mat current = opaque;
    IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, quality);
    int[] previous = null;
    for (int[] size : sizes) {
      if (previous != null && Arrays.equals(previous, size)) {
        // An image narrower than both sizes has the same thumbnail twice: encode it once.
        out.add(out.get(out.size() - 1));
        continue;
      }
      previous = size;
      current = downscale(current, size[0], size[1]);
      BytePointer jpeg = new BytePointer();
      if (!imencode(".jpg", current, jpeg, params)) {
        throw new IllegalStateException("OpenCV could not encode a JPEG thumbnail");
      }
      byte[] data = new byte[(int) jpeg.limit()];
      jpeg.get(data);
      out.add(data);
    }
    return out;
  }

  private static Mat downscale(Mat image, int width, int height) {
    Mat current = image;
    int w = current.cols();
    int h = current.rows();
    while (w / 2 >= width || h / 2 >= height) {
      // Both sides halve together; one still more than twice its target (extreme aspect ratios
      // round differently) halves alone.
      boolean both = w / 2 >= width && h / 2 >= height;
      w = both || w / 2 >= width ? w / 2 : w;
      h = both || h / 2 >= height ? h / 2 : h;
      Mat half = new Mat();
      resize(current, half, new Size(w, h), 0, 0, INTER_AREA);
      current = half;
    }
    if (w != width || h != height) {
      Mat last = new Mat();
      resize(current, last, new Size(width, height), 0, 0, INTER_LINEAR);
      current = last;
    }
    return current;
  }

  /** The number of samples, or -1 when they would not fit in one Java array. */
  private static int samples(int width, int height, int channels) {
    long n = (long) width * height * channels;
    return n > Integer.MAX_VALUE - 16 ? -1 : (int) n;
  }

  private static void requireAvailable() {
    if (!available()) {
      throw new IllegalStateException("OpenCV's codecs are not available: " + problem());
    }
  }
}
