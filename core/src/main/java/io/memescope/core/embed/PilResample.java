package io.memescope.core.embed;

/**
 * Pillow's {@code Image.resize} and {@code Image.crop}, reproduced to the bit (Pillow 13, the
 * version the exporter pins): the same filter support, the same fixed-point coefficients, the same
 * order of the two passes, NEAREST for palette images, and alpha premultiplied around the filter.
 * CLIP-family models were trained on Pillow's output, and a near miss here costs search quality
 * silently, so this is not a generic resizer.
 */
public final class PilResample {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PilResample() {}

  /** {@code image.resize((width, height), BICUBIC)} as Pillow does it for the image's mode. */
  public static PilImage resizeBicubic(PilImage image, int width, int height) {
    return resizeBicubic(image, width, height, 0, 0, width, height);
  }

  /**
   * The window {@code (x0, y0, x0 + w, y0 + h)} of {@link #resizeBicubic(PilImage, int, int)}, bit
   * for bit, computing only what the window needs: {@code resize(...).crop(...)} in one step, as
   * the model's preprocessing asks for (a resize, then a centre crop that drops up to a quarter of
   * the pixels of a 4:3 picture).
   */
  public static PilImage resizeBicubic(
      PilImage image, int width, int height, int x0, int y0, int w, int h) {
    if (x0 < 0 || y0 < 0 || w < 1 || h < 1 || x0 + w > width || y0 + h > height) {
      throw new IllegalArgumentException(
          "window " + x0 + "," + y0 + " " + w + "x" + h + " outside " + width + "x" + height);
    }
    if (width == image.width() && height == image.height()) {
      return crop(image, x0, y0, w, h);
    }
    return switch (image.mode()) {
      case "P" -> resizeNearest(image, width, height, x0, y0, w, h);
      case "RGBA", "LA" -> unpremultiply(resample(premultiply(image), width, height, x0, y0, w, h));
      default -> resample(image, width, height, x0, y0, w, h);
    };
  }

  /** {@code image.crop((left, top, left + width, top + height))}, inside the image. */
  public static PilImage crop(PilImage image, int left, int top, int width, int height) {
    int b = image.bands();
    byte[] out = new byte[width * height * b];
    for (int y = 0; y < height; y++) {
      System.arraycopy(
          image.pixels(), ((top + y) * image.width() + left) * b, out, y * width * b, width * b);
    }
    return new PilImage(image.mode(), width, height, out, image.palette());
  }

  static double bicubic(double x) {
    final double a = -0.5;
    x = Math.abs(x);
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }

  /**
   * Per output position of a window, from its first: first input index, count, and fixed-point
   * weights.
   */
  record Coefficients(int ksize, int[] bounds, int[] weights) {}

  /**
   * The coefficients of output positions {@code [from, from + count)} only: each depends on its own
   * position, so they are those of the whole line. (For the whole line, an image of 1 × 20,000
   * pixels, whose short side goes to 224, needed arrays for 4.5 million positions, gigabytes, to
   * crop 224 of them.)
   */
  static Coefficients coefficients(int inSize, int outSize, int from, int count) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = 2.0 * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[count * 2];
    int[] weights = new int[Math.multiplyExact(count, ksize)];
    double[] k = new double[ksize];
    for (int i = 0; i < count; i++) {
      int xx = from + i;
      double center = (xx + 0.5) * scale;
      double ww = 0.0;
      double ss = 1.0 / filterScale;
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      for (int x = 0; x < xmax; x++) {
        double w = bicubic((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < xmax; x++) {
        double v = ww != 0.0 ? k[x] / ww : k[x];
        weights[i * ksize + x] =
            v < 0
                ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                : (int) (0.5 + v * (1 << PRECISION_BITS));
      }
      bounds[i * 2] = xmin;
      bounds[i * 2 + 1] = xmax;
    }
    return new Coefficients(ksize, bounds, weights);
  }

  /** The sum back to an 8-bit sample, stored as a byte as Pillow stores its passes. */
  private static byte clip8(int value) {
    int v = value >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /**
   * The window of a two-pass resample. Every output sample depends only on the samples its filter
   * covers, so computing fewer of them changes none: the horizontal pass computes only the window's
   * columns, of only the rows the vertical pass reads for the window's rows (or, vertical pass
   * first, the vertical pass only the input columns the horizontal pass reads).
   */
  static PilImage resample(PilImage in, int width, int height, int x0, int y0, int w, int h) {
    // Pillow 13: when the height shrinks by more than twice as many pixels as the width, the
    // vertical pass runs first. The order changes the rounding, so it is part of the reference.
    int dy = in.height() - height;
    boolean horizontalFirst = !(dy > 0 && dy > (in.width() - width) * 2);
    int b = in.bands();
    boolean resizeX = width != in.width();
    boolean resizeY = height != in.height();
    // Coefficients of the window's columns and rows only (indexed from the window's first).
    Coefficients cx = resizeX ? coefficients(in.width(), width, x0, w) : null;
    Coefficients cy = resizeY ? coefficients(in.height(), height, y0, h) : null;
    byte[] out;
    if (horizontalFirst) {
      // Input rows [r0, r1) feed the window's rows.
      int r0 = resizeY ? cy.bounds()[0] : y0;
      int r1 = resizeY ? cy.bounds()[(h - 1) * 2] + cy.bounds()[(h - 1) * 2 + 1] : y0 + h;
      byte[] rows =
          resizeX
              ? horizontal(in.pixels(), in.width(), b, r0, r1 - r0, cx, w, 0)
              : columns(in.pixels(), in.width(), b, r0, r1 - r0, x0, w);
      out = resizeY ? vertical(rows, w * b, 0, w, b, cy, h, r0) : rows;
    } else { // only when the height shrinks, so resizeY
      // Input columns [c0, c1) feed the window's columns.
      int c0 = resizeX ? cx.bounds()[0] : x0;
      int c1 = resizeX ? cx.bounds()[(w - 1) * 2] + cx.bounds()[(w - 1) * 2 + 1] : x0 + w;
      // Read in place: a copy of these columns would be most of the image (they span the short
      // side), a second full-size array beside a tall photo.
      byte[] rows = vertical(in.pixels(), in.width() * b, c0 * b, c1 - c0, b, cy, h, 0);
      out = resizeX ? horizontal(rows, c1 - c0, b, 0, h, cx, w, c0) : rows;
    }
    return new PilImage(in.mode(), w, h, out, in.palette());
  }

  /** Columns {@code [x0, x0 + w)} of rows {@code [firstRow, firstRow + rows)}. */
  private static byte[] columns(
      byte[] src, int srcWidth, int b, int firstRow, int rows, int x0, int w) {
    byte[] out = new byte[w * rows * b];
    for (int y = 0; y < rows; y++) {
      System.arraycopy(src, ((firstRow + y) * srcWidth + x0) * b, out, y * w * b, w * b);
    }
    return out;
  }

  /**
   * The horizontal pass: the {@code w} output columns {@code c} holds the coefficients of, of rows
   * {@code [firstRow, firstRow + rows)} of {@code src}, whose column 0 is input column {@code
   * srcColumn0}.
   */
  private static byte[] horizontal(
      byte[] src,
      int srcWidth,
      int b,
      int firstRow,
      int rows,
      Coefficients c,
      int w,
      int srcColumn0) {
    int[] bounds = c.bounds();
    int[] weights = c.weights();
    int ksize = c.ksize();
    byte[] out = new byte[w * rows * b];
    int half = 1 << (PRECISION_BITS - 1);
    for (int y = 0; y < rows; y++) {
      int rowOffset = (y + firstRow) * srcWidth * b;
      int outOffset = y * w * b;
      for (int i = 0; i < w; i++) {
        int xmin = bounds[i * 2] - srcColumn0;
        int xmax = bounds[i * 2 + 1];
        int k = i * ksize;
        int at = rowOffset + xmin * b;
        if (b == 3) {
          int s0 = half;
          int s1 = half;
          int s2 = half;
          for (int x = 0; x < xmax; x++, at += 3) {
            int wt = weights[k + x];
            s0 += (src[at] & 0xff) * wt;
            s1 += (src[at + 1] & 0xff) * wt;
            s2 += (src[at + 2] & 0xff) * wt;
          }
          out[outOffset + i * 3] = clip8(s0);
          out[outOffset + i * 3 + 1] = clip8(s1);
          out[outOffset + i * 3 + 2] = clip8(s2);
        } else {
          for (int band = 0; band < b; band++) {
            int ss = half;
            for (int x = 0; x < xmax; x++) {
              ss += (src[at + x * b + band] & 0xff) * weights[k + x];
            }
            out[outOffset + i * b + band] = clip8(ss);
          }
        }
      }
    }
    return out;
  }

  /**
   * The vertical pass: the {@code h} output rows {@code c} holds the coefficients of, over {@code
   * width} columns of {@code src} (rows {@code stride} samples apart, the first column at sample
   * {@code offset} of its row), whose row 0 is input row {@code srcRow0}. Row by row, so the inner
   * loop runs over contiguous samples; integer sums do not depend on their order.
   */
  private static byte[] vertical(
      byte[] src, int stride, int offset, int width, int b, Coefficients c, int h, int srcRow0) {
    int[] bounds = c.bounds();
    int[] weights = c.weights();
    int ksize = c.ksize();
    int n = width * b;
    byte[] out = new byte[n * h];
    int[] acc = new int[n];
    for (int j = 0; j < h; j++) {
      int ymin = bounds[j * 2] - srcRow0;
      int ymax = bounds[j * 2 + 1];
      int k = j * ksize;
      java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
      for (int y = 0; y < ymax; y++) {
        int wt = weights[k + y];
        int row = (ymin + y) * stride + offset;
        for (int i = 0; i < n; i++) {
          acc[i] += (src[row + i] & 0xff) * wt;
        }
      }
      int outRow = j * n;
      for (int i = 0; i < n; i++) {
        out[outRow + i] = clip8(acc[i]);
      }
    }
    return out;
  }

  /**
   * The window {@code (x0, y0, x0 + w, y0 + h)} of Pillow's NEAREST resize to {@code width x
   * height} (an affine scale): the floating-point positions are accumulated from the first, as
   * Pillow does (so the same to the bit), but only the window's samples are stored.
   */
  static PilImage resizeNearest(PilImage in, int width, int height, int x0, int y0, int w, int h) {
    int b = in.bands();
    double ax = (double) in.width() / width;
    double ay = (double) in.height() / height;
    int[] xin = new int[w];
    double xo = ax * 0.5;
    for (int x = 0; x < x0 + w; x++) {
      if (x >= x0) {
        xin[x - x0] = Math.min(coord(xo), in.width() - 1);
      }
      xo += ax;
    }
    byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), b)];
    double yo = ay * 0.5;
    for (int y = 0; y < y0 + h; y++) {
      if (y >= y0) {
        int yi = Math.min(coord(yo), in.height() - 1);
        for (int x = 0; x < w; x++) {
          System.arraycopy(
              in.pixels(), (yi * in.width() + xin[x]) * b, out, ((y - y0) * w + x) * b, b);
        }
      }
      yo += ay;
    }
    return new PilImage(in.mode(), w, h, out, in.palette());
  }

  private static int coord(double v) {
    return v < 0.0 ? -1 : (int) v;
  }

  /** RGBA to Pillow's RGBa (and LA to La): colour multiplied by alpha, rounded as Pillow does. */
  static PilImage premultiply(PilImage in) {
    int b = in.bands();
    byte[] out = in.pixels().clone();
    for (int i = 0; i < out.length; i += b) {
      int alpha = out[i + b - 1] & 0xff;
      for (int c = 0; c < b - 1; c++) {
        int tmp = (out[i + c] & 0xff) * alpha + 128;
        out[i + c] = (byte) (((tmp >> 8) + tmp) >> 8);
      }
    }
    return new PilImage(in.mode(), in.width(), in.height(), out, in.palette());
  }

  /** Pillow's RGBa to RGBA (and La to LA). */
  static PilImage unpremultiply(PilImage in) {
    int b = in.bands();
    byte[] out = in.pixels().clone();
    for (int i = 0; i < out.length; i += b) {
      int alpha = out[i + b - 1] & 0xff;
      if (alpha != 255 && alpha != 0) {
        for (int c = 0; c < b - 1; c++) {
          out[i + c] = (byte) Math.min(255, (255 * (out[i + c] & 0xff)) / alpha);
        }
      }
    }
    return new PilImage(in.mode(), in.width(), in.height(), out, in.palette());
  }
}
