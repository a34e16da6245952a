package io.memescope.core.embed;

/**
 * EXIF orientations undone as Pillow's {@code ImageOps.exif_transpose}: 2 mirror, 3 rotate 180, 4
 * flip, 5 transpose, 6 rotate 270 (clockwise 90), 7 transverse, 8 rotate 90.
 */
final class Orientation {
  private Orientation() {}

  /** Where output pixel (x, y) comes from, for an input of width w and height h. */
  private interface Source {
    int index(int x, int y, int w, int h);
  }

  /** Whether {@link #apply} makes a new image for this orientation (2 to 8) rather than none. */
  static boolean rotates(int orientation) {
    return orientation >= 2 && orientation <= 8;
  }

  static PilImage apply(PilImage image, int orientation) {
    int w = image.width();
    int h = image.height();
    return switch (orientation) {
      case 2 -> map(image, w, h, (x, y, iw, ih) -> y * iw + (iw - 1 - x));
      case 3 -> map(image, w, h, (x, y, iw, ih) -> (ih - 1 - y) * iw + (iw - 1 - x));
      case 4 -> map(image, w, h, (x, y, iw, ih) -> (ih - 1 - y) * iw + x);
      case 5 -> map(image, h, w, (x, y, iw, ih) -> x * iw + y);
      case 6 -> map(image, h, w, (x, y, iw, ih) -> (ih - 1 - x) * iw + y);
      case 7 -> map(image, h, w, (x, y, iw, ih) -> (ih - 1 - x) * iw + (iw - 1 - y));
      case 8 -> map(image, h, w, (x, y, iw, ih) -> x * iw + (iw - 1 - y));
      default -> image;
    };
  }

  private static PilImage map(PilImage in, int w, int h, Source source) {
    int b = in.bands();
    byte[] out = new byte[in.pixels().length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int from = source.index(x, y, in.width(), in.height());
        System.arraycopy(in.pixels(), from * b, out, (y * w + x) * b, b);
      }
    }
    return new PilImage(in.mode(), w, h, out, in.palette());
  }
}
