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
    if (width == image.width() && height == image.height()) {
      return image;
    }
    return switch (image.mode()) {
      case "P" -> resizeNearest(image, width, height);
      case "RGBA", "LA" -> unpremultiply(resample(premultiply(image), width, height));
      default -> resample(image, width, height);
    };
  }

  /** {@code image.crop((left, top, left + width, top + height))}, inside the image. */
  public static PilImage crop(PilImage image, int left, int top, int width, int height) {
    int b = image.bands();
    int[] out = new int[width * height * b];
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

  /** Per output position: first input index, count, and fixed-point weights. */
  record Coefficients(int ksize, int[] bounds, int[] weights) {}

  static Coefficients coefficients(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = 2.0 * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[outSize * 2];
    int[] weights = new int[outSize * ksize];
    double[] k = new double[ksize];
    for (int xx = 0; xx < outSize; xx++) {
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

  private static int clip8(int value) {
    int v = value >> PRECISION_BITS;
    return v < 0 ? 0 : Math.min(v, 255);
  }

  static PilImage resample(PilImage in, int width, int height) {
    // Pillow 13: when the height shrinks by more than twice as many pixels as the width, the
    // vertical pass runs first. The order changes the rounding, so it is part of the reference.
    int dy = in.height() - height;
    boolean horizontalFirst = !(dy > 0 && dy > (in.width() - width) * 2);
    return horizontalFirst
        ? horizontalThenVertical(in, width, height)
        : verticalThenHorizontal(in, width, height);
  }

  private static PilImage horizontalThenVertical(PilImage in, int width, int height) {
    int b = in.bands();
    int[] src = in.pixels();
    int srcWidth = in.width();
    int rows = in.height();
    Coefficients vertical = coefficients(in.height(), height);
    int[] vBounds = vertical.bounds().clone();
    if (width != in.width()) {
      // Only the rows the vertical pass reads are resampled horizontally.
      int firstRow = vBounds[0];
      int lastRow = vBounds[height * 2 - 2] + vBounds[height * 2 - 1];
      for (int i = 0; i < height; i++) {
        vBounds[i * 2] -= firstRow;
      }
      src = horizontal(src, srcWidth, b, firstRow, lastRow - firstRow, width);
      srcWidth = width;
      rows = lastRow - firstRow;
    }
    if (height != in.height()) {
      src = vertical(src, srcWidth, b, height, vertical.ksize(), vBounds, vertical.weights());
      rows = height;
    }
    return new PilImage(in.mode(), srcWidth, rows, src, in.palette());
  }

  private static PilImage verticalThenHorizontal(PilImage in, int width, int height) {
    int b = in.bands();
    Coefficients vertical = coefficients(in.height(), height);
    int[] src =
        vertical(
            in.pixels(),
            in.width(),
            b,
            height,
            vertical.ksize(),
            vertical.bounds(),
            vertical.weights());
    if (width != in.width()) {
      src = horizontal(src, in.width(), b, 0, height, width);
    }
    return new PilImage(in.mode(), width, height, src, in.palette());
  }

  private static int[] horizontal(
      int[] src, int srcWidth, int b, int firstRow, int rows, int outWidth) {
    Coefficients c = coefficients(srcWidth, outWidth);
    int[] out = new int[outWidth * rows * b];
    for (int y = 0; y < rows; y++) {
      int rowOffset = (y + firstRow) * srcWidth * b;
      for (int xx = 0; xx < outWidth; xx++) {
        int xmin = c.bounds()[xx * 2];
        int xmax = c.bounds()[xx * 2 + 1];
        int kOffset = xx * c.ksize();
        for (int band = 0; band < b; band++) {
          int ss = 1 << (PRECISION_BITS - 1);
          for (int x = 0; x < xmax; x++) {
            ss += src[rowOffset + (x + xmin) * b + band] * c.weights()[kOffset + x];
          }
          out[(y * outWidth + xx) * b + band] = clip8(ss);
        }
      }
    }
    return out;
  }

  private static int[] vertical(
      int[] src, int width, int b, int outHeight, int ksize, int[] bounds, int[] weights) {
    int[] out = new int[width * outHeight * b];
    for (int yy = 0; yy < outHeight; yy++) {
      int ymin = bounds[yy * 2];
      int ymax = bounds[yy * 2 + 1];
      int kOffset = yy * ksize;
      for (int xx = 0; xx < width; xx++) {
        for (int band = 0; band < b; band++) {
          int ss = 1 << (PRECISION_BITS - 1);
          for (int y = 0; y < ymax; y++) {
            ss += src[((y + ymin) * width + xx) * b + band] * weights[kOffset + y];
          }
          out[(yy * width + xx) * b + band] = clip8(ss);
        }
      }
    }
    return out;
  }

  /** Pillow's NEAREST (an affine scale), including its accumulated floating-point positions. */
  static PilImage resizeNearest(PilImage in, int width, int height) {
    int b = in.bands();
    double ax = (double) in.width() / width;
    double ay = (double) in.height() / height;
    int[] xin = new int[width];
    double xo = ax * 0.5;
    for (int x = 0; x < width; x++) {
      xin[x] = Math.min(coord(xo), in.width() - 1);
      xo += ax;
    }
    int[] out = new int[width * height * b];
    double yo = ay * 0.5;
    for (int y = 0; y < height; y++) {
      int yi = Math.min(coord(yo), in.height() - 1);
      for (int x = 0; x < width; x++) {
        System.arraycopy(in.pixels(), (yi * in.width() + xin[x]) * b, out, (y * width + x) * b, b);
      }
      yo += ay;
    }
    return new PilImage(in.mode(), width, height, out, in.palette());
  }

  private static int coord(double v) {
    return v < 0.0 ? -1 : (int) v;
  }

  /** RGBA to Pillow's RGBa (and LA to La): colour multiplied by alpha, rounded as Pillow does. */
  static PilImage premultiply(PilImage in) {
    int b = in.bands();
    int[] out = in.pixels().clone();
    for (int i = 0; i < out.length; i += b) {
      int alpha = out[i + b - 1];
      for (int c = 0; c < b - 1; c++) {
        int tmp = out[i + c] * alpha + 128;
        out[i + c] = ((tmp >> 8) + tmp) >> 8;
      }
    }
    return new PilImage(in.mode(), in.width(), in.height(), out, in.palette());
  }

  /** Pillow's RGBa to RGBA (and La to LA). */
  static PilImage unpremultiply(PilImage in) {
    int b = in.bands();
    int[] out = in.pixels().clone();
    for (int i = 0; i < out.length; i += b) {
      int alpha = out[i + b - 1];
      if (alpha != 255 && alpha != 0) {
        for (int c = 0; c < b - 1; c++) {
          out[i + c] = Math.min(255, (255 * out[i + c]) / alpha);
        }
      }
    }
    return new PilImage(in.mode(), in.width(), in.height(), out, in.palette());
  }
}
