package io.memescope.core.image;

import io.memescope.core.embed.PilImage;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A 64-bit DCT perceptual hash, computed as Python imagehash's {@code phash(image)} (hash_size 8,
 * highfreq_factor 4) does, so that thresholds tuned against imagehash, and hashes stored by tools
 * that use it, carry over:
 *
 * <ol>
 *   <li>greyscale with Pillow's {@code convert('L')} (ITU-R 601-2 luma, Pillow's fixed-point
 *       rounding; alpha is dropped, not composited, exactly as there);
 *   <li>resize to 32x32 with Pillow's LANCZOS (antialiasing) filter: the same support, fixed-point
 *       coefficients, pass order and 8-bit rounding between the passes;
 *   <li>2-D DCT-II, of which only the top-left 8x8 (lowest frequencies, DC included) is computed;
 *   <li>bit = coefficient &gt; median of those 64.
 * </ol>
 *
 * <p>How close: the 32x32 greyscale sample is Pillow's to the bit, so for the same decoded pixels
 * the hash can differ from imagehash's only where a coefficient lies within floating-point rounding
 * of the median (scipy computes the DCT through an FFT, this class directly), which takes a nearly
 * flat image. Decoders can differ more: ImageIO's and Pillow's libjpeg may round a JPEG's pixels
 * differently. Measured by {@code infra/bench/near-dup.sh}: all 256 files of its set, 48 of them
 * JPEGs, hash identically here and in imagehash 4.3.2 with Pillow 13 (docs/benchmarks.md,
 * "Near-duplicate detection"); the unit tests pin six arithmetic images to imagehash's output.
 *
 * <p>The bit order is imagehash's: element (row u, column v) of the 8x8 is bit {@code 63 - (8u +
 * v)}, so {@link #toHex} prints what {@code str(imagehash.phash(image))} prints.
 *
 * <p>Cost: one pass over the pixels (luma computed on the fly, never stored as a full image), a
 * 32-row accumulator, and 8x32 precomputed cosines. The Lanczos window spans six output pixels'
 * worth of input, so each input pixel costs about six integer multiply-adds: about 5 ms per
 * megapixel on one core of the benchmark machine, the same order as Pillow. Exactness rules out the
 * faster shortcut of box-reducing first, which changes the bits.
 */
public final class PerceptualHash {
  static final int HASH_SIZE = 8;
  static final int SAMPLE_SIZE = HASH_SIZE * 4;

  private static final int PRECISION_BITS = 32 - 8 - 2;
  private static final int HALF = 1 << (PRECISION_BITS - 1);
  private static final double LANCZOS_SUPPORT = 3.0;

  /**
   * {@code COS[k][n] = cos(pi k (2n + 1) / 64)}: DCT-II basis (scale is irrelevant to a median).
   */
  private static final double[][] COS = new double[HASH_SIZE][SAMPLE_SIZE];

  static {
    for (int k = 0; k < HASH_SIZE; k++) {
      for (int n = 0; n < SAMPLE_SIZE; n++) {
        COS[k][n] = Math.cos(Math.PI * k * (2 * n + 1) / (2.0 * SAMPLE_SIZE));
      }
    }
  }

  private PerceptualHash() {}

  /** The image's perceptual hash; see the class comment for how it relates to imagehash. */
  public static long of(PilImage image) {
    int[] sample = greySample(image);
    return hash(sample);
  }

  /**
   * The hash of an image held as OpenCV holds it, interleaved bytes row by row: grey (1 channel),
   * BGR (3) or BGRA (4, alpha ignored as {@code convert('L')} ignores it). The same value {@link
   * #of(PilImage)} gives for the same samples.
   */
  public static long ofInterleaved(byte[] samples, int width, int height, int channels) {
    return ofInterleaved(ByteBuffer.wrap(samples), width, height, channels);
  }

  /**
   * {@link #ofInterleaved(byte[], int, int, int)} over a buffer's remaining bytes (from its
   * position to its limit; the position is not moved); a direct buffer lets the hash read a
   * decoder's native memory without copying it.
   */
  public static long ofInterleaved(ByteBuffer buffer, int width, int height, int channels) {
    if (channels != 1 && channels != 3 && channels != 4) {
      throw new IllegalArgumentException("1, 3 or 4 channels, not " + channels);
    }
    ByteBuffer samples = buffer.slice();
    if ((long) width * height * channels != samples.limit()) {
      throw new IllegalArgumentException("samples do not fill " + width + "x" + height);
    }
    RowSource rows =
        (y, row) -> {
          int i = y * width * channels;
          if (channels == 1) {
            for (int x = 0; x < width; x++) {
              row[x] = samples.get(i + x) & 0xff;
            }
          } else {
            for (int x = 0; x < width; x++, i += channels) {
              row[x] =
                  luma(samples.get(i + 2) & 0xff, samples.get(i + 1) & 0xff, samples.get(i) & 0xff);
            }
          }
        };
    return hash(greySample(rows, width, height));
  }

  /** Fills {@code row} with row {@code y} of the image in {@code convert('L')}'s grey. */
  private interface RowSource {
    void row(int y, int[] row);
  }

  /**
   * Hamming distance between two hashes: 0 for identical, 64 for complements. A median split
   * usually sets exactly 32 bits, so distances are almost always even. On the near-duplicate
   * benchmark (docs/benchmarks.md) 12 is the largest threshold with no false match.
   */
  public static int distance(long a, long b) {
    return Long.bitCount(a ^ b);
  }

  /** Sixteen lower-case hex digits, as {@code str()} of an imagehash {@code ImageHash}. */
  public static String toHex(long hash) {
    return String.format("%016x", hash);
  }

  /** Parses {@link #toHex}'s (and imagehash's) form. */
  public static long fromHex(String hex) {
    return Long.parseUnsignedLong(hex, 16);
  }

  /** {@code image.convert('L').resize((32, 32), LANCZOS)} as Pillow 13 computes it, row-major. */
  static int[] greySample(PilImage image) {
    int[] paletteLuma = paletteLuma(image);
    return greySample(
        (y, row) -> lumaRow(image, paletteLuma, y, row), image.width(), image.height());
  }

  private static int[] greySample(RowSource rows, int width, int height) {
    int[] row = new int[width];
    int[] out = new int[SAMPLE_SIZE * SAMPLE_SIZE];
    boolean resizeX = width != SAMPLE_SIZE;
    boolean resizeY = height != SAMPLE_SIZE;
    Coefficients horizontal = resizeX ? Coefficients.of(width, SAMPLE_SIZE) : null;
    Coefficients vertical = resizeY ? Coefficients.of(height, SAMPLE_SIZE) : null;

    // Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many
    // pixels as the width; the 8-bit rounding between the passes makes the order matter.
    int dy = height - SAMPLE_SIZE;
    boolean verticalFirst = dy > 0 && dy > (width - SAMPLE_SIZE) * 2;
    if (verticalFirst) {
      // Stream the rows into 32 full-width accumulators, then filter each across.
      int[] acc = new int[SAMPLE_SIZE * width];
      Arrays.fill(acc, HALF);
      for (int y = 0; y < height; y++) {
        rows.row(y, row);
        accumulate(vertical, y, row, width, acc);
      }
      for (int yy = 0; yy < SAMPLE_SIZE; yy++) {
        for (int x = 0; x < width; x++) {
          row[x] = clip8(acc[yy * width + x]);
        }
        if (resizeX) {
          filterRow(horizontal, row, out, yy * SAMPLE_SIZE);
        } else {
          System.arraycopy(row, 0, out, yy * SAMPLE_SIZE, SAMPLE_SIZE);
        }
      }
      return out;
    }
    // Horizontal first: filter each row the vertical pass reads down to 32, then accumulate.
    int firstRow = 0;
    int lastRow = height;
    if (resizeY) {
      firstRow = vertical.bounds[0];
      lastRow = vertical.bounds[SAMPLE_SIZE * 2 - 2] + vertical.bounds[SAMPLE_SIZE * 2 - 1];
    }
    int[] narrow = new int[SAMPLE_SIZE];
    int[] acc = new int[SAMPLE_SIZE * SAMPLE_SIZE];
    Arrays.fill(acc, HALF);
    for (int y = firstRow; y < lastRow; y++) {
      rows.row(y, row);
      int[] filtered = narrow;
      if (resizeX) {
        filterRow(horizontal, row, narrow, 0);
      } else {
        filtered = row;
      }
      if (resizeY) {
        accumulate(vertical, y, filtered, SAMPLE_SIZE, acc);
      } else {
        System.arraycopy(filtered, 0, out, y * SAMPLE_SIZE, SAMPLE_SIZE);
      }
    }
    if (resizeY) {
      for (int i = 0; i < out.length; i++) {
        out[i] = clip8(acc[i]);
      }
    }
    return out;
  }

  /** The hash of a 32x32 grey sample: DCT-II, top-left 8x8, each above their median or not. */
  static long hash(int[] sample) {
    // Rows: only the 8 lowest horizontal frequencies of each of the 32 rows.
    double[] rows = new double[SAMPLE_SIZE * HASH_SIZE];
    for (int y = 0; y < SAMPLE_SIZE; y++) {
      for (int v = 0; v < HASH_SIZE; v++) {
        double[] cos = COS[v];
        double s = 0;
        for (int x = 0; x < SAMPLE_SIZE; x++) {
          s += sample[y * SAMPLE_SIZE + x] * cos[x];
        }
        rows[y * HASH_SIZE + v] = s;
      }
    }
    // Columns: the 8 lowest vertical frequencies of those.
    double[] dct = new double[HASH_SIZE * HASH_SIZE];
    for (int u = 0; u < HASH_SIZE; u++) {
      double[] cos = COS[u];
      for (int v = 0; v < HASH_SIZE; v++) {
        double s = 0;
        for (int y = 0; y < SAMPLE_SIZE; y++) {
          s += rows[y * HASH_SIZE + v] * cos[y];
        }
        dct[u * HASH_SIZE + v] = s;
      }
    }
    double[] sorted = dct.clone();
    Arrays.sort(sorted);
    double median = (sorted[31] + sorted[32]) / 2;
    long hash = 0;
    for (int i = 0; i < dct.length; i++) {
      hash = (hash << 1) | (dct[i] > median ? 1 : 0);
    }
    return hash;
  }

  /** Pillow's {@code L24}: (19595 R + 38470 G + 7471 B + 0x8000) >> 16. */
  private static int luma(int r, int g, int b) {
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  }

  private static int[] paletteLuma(PilImage image) {
    if (!"P".equals(image.mode())) {
      return null;
    }
    int[] palette = image.palette();
    int[] luma = new int[palette.length];
    for (int i = 0; i < palette.length; i++) {
      int c = palette[i];
      luma[i] = luma((c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
    }
    return luma;
  }

  /** Row {@code y} of {@code convert('L')}: alpha dropped, palette looked up. */
  private static void lumaRow(PilImage image, int[] paletteLuma, int y, int[] row) {
    int width = image.width();
    byte[] px = image.pixels();
    int b = image.bands();
    int i = y * width * b;
    if (paletteLuma != null) {
      for (int x = 0; x < width; x++) {
        row[x] = paletteLuma[px[i + x] & 0xff];
      }
    } else if (b >= 3) {
      for (int x = 0; x < width; x++, i += b) {
        row[x] = luma(px[i] & 0xff, px[i + 1] & 0xff, px[i + 2] & 0xff);
      }
    } else {
      for (int x = 0; x < width; x++, i += b) {
        row[x] = px[i] & 0xff;
      }
    }
  }

  /** Adds input row {@code y}, weighted, to every output row whose window contains it. */
  private static void accumulate(Coefficients c, int y, int[] row, int width, int[] acc) {
    for (int yy = 0; yy < SAMPLE_SIZE; yy++) {
      int k = y - c.bounds[yy * 2];
      if (k < 0 || k >= c.bounds[yy * 2 + 1]) {
        continue;
      }
      int w = c.weights[yy * c.ksize + k];
      int offset = yy * width;
      for (int x = 0; x < width; x++) {
        acc[offset + x] += row[x] * w;
      }
    }
  }

  /** Pillow's horizontal 8-bit pass for one row, into {@code out[offset..offset + 32)}. */
  private static void filterRow(Coefficients c, int[] row, int[] out, int offset) {
    for (int xx = 0; xx < SAMPLE_SIZE; xx++) {
      int xmin = c.bounds[xx * 2];
      int n = c.bounds[xx * 2 + 1];
      int k = xx * c.ksize;
      int ss = HALF;
      for (int x = 0; x < n; x++) {
        ss += row[xmin + x] * c.weights[k + x];
      }
      out[offset + xx] = clip8(ss);
    }
  }

  private static int clip8(int value) {
    int v = value >> PRECISION_BITS;
    return v < 0 ? 0 : Math.min(v, 255);
  }

  private static double sinc(double x) {
    if (x == 0.0) {
      return 1.0;
    }
    x *= Math.PI;
    return Math.sin(x) / x;
  }

  private static double lanczos(double x) {
    return -LANCZOS_SUPPORT <= x && x < LANCZOS_SUPPORT ? sinc(x) * sinc(x / LANCZOS_SUPPORT) : 0.0;
  }

  /**
   * Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for LANCZOS: per output
   * position the first input index and count ({@code bounds}), and fixed-point weights.
   */
  private record Coefficients(int ksize, int[] bounds, int[] weights) {
    static Coefficients of(int inSize, int outSize) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = LANCZOS_SUPPORT * filterScale;
      int ksize = (int) Math.ceil(support) * 2 + 1;
      int[] bounds = new int[outSize * 2];
      int[] weights = new int[outSize * ksize];
      double[] k = new double[ksize];
      double ss = 1.0 / filterScale;
      for (int xx = 0; xx < outSize; xx++) {
        double center = (xx + 0.5) * scale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; x++) {
          double w = lanczos((x + xmin - center + 0.5) * ss);
          k[x] = w;
          ww += w;
        }
        for (int x = 0; x < xmax; x++) {
          double v = ww != 0.0 ? k[x] / ww : k[x];
          weights[xx * ksize + x] =
              v < 0
                  ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                  : (int) (0.5 + v * (1 << PRECISION_BITS));
        }
        bounds[xx * 2] = xmin;
        bounds[xx * 2 + 1] = xmax;
      }
      return new Coefficients(ksize, bounds, weights);
    }
  }
}
