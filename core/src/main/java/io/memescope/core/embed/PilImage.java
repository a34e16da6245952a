package io.memescope.core.embed;

/**
 * An 8-bit image in one of PIL's modes, interleaved, as the reference preprocessing sees it. The
 * mode matters: PIL resizes palette images with NEAREST and premultiplies alpha before filtering.
 *
 * <p>One byte per sample, as PIL stores them: a decoded image is the largest thing the ingest job
 * holds, and ints took four times the heap (a 64-megapixel photo needed 768 MB, more than a
 * TaskManager's whole heap on the local stack). Read a sample as {@code pixels[i] & 0xff}.
 *
 * @param mode {@code RGB}, {@code RGBA}, {@code L}, {@code LA} or {@code P}
 * @param pixels samples (0..255, unsigned), {@code bands} per pixel, row by row; for {@code P},
 *     palette indices
 * @param palette for {@code P}: packed 0xRRGGBB per index; otherwise null
 */
public record PilImage(String mode, int width, int height, byte[] pixels, int[] palette) {
  /** An image from samples given as ints (0..255), as tests and small tools write them. */
  public static PilImage ofSamples(
      String mode, int width, int height, int[] samples, int[] palette) {
    byte[] pixels = new byte[samples.length];
    for (int i = 0; i < samples.length; i++) {
      if (samples[i] < 0 || samples[i] > 255) {
        throw new IllegalArgumentException("sample " + i + " is " + samples[i] + ", not 0..255");
      }
      pixels[i] = (byte) samples[i];
    }
    return new PilImage(mode, width, height, pixels, palette);
  }

  /** The samples as ints (0..255): a copy, for tests and small images. */
  public int[] samples() {
    int[] out = new int[pixels.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = pixels[i] & 0xff;
    }
    return out;
  }

  public int bands() {
    return bands(mode);
  }

  /** Samples per pixel in {@code mode}. */
  public static int bands(String mode) {
    return switch (mode) {
      case "RGB" -> 3;
      case "RGBA" -> 4;
      case "LA" -> 2;
      default -> 1;
    };
  }

  /** PIL's {@code convert('RGB')}: alpha dropped, grey replicated, palette looked up. */
  public int[] toRgb() {
    int n = width * height;
    int[] rgb = new int[n * 3];
    int b = bands();
    for (int i = 0; i < n; i++) {
      int r;
      int g;
      int bl;
      switch (mode) {
        case "RGB", "RGBA" -> {
          r = pixels[i * b] & 0xff;
          g = pixels[i * b + 1] & 0xff;
          bl = pixels[i * b + 2] & 0xff;
        }
        case "P" -> {
          int c = palette[pixels[i] & 0xff];
          r = (c >> 16) & 0xff;
          g = (c >> 8) & 0xff;
          bl = c & 0xff;
        }
        default -> {
          r = pixels[i * b] & 0xff;
          g = r;
          bl = r;
        }
      }
      rgb[i * 3] = r;
      rgb[i * 3 + 1] = g;
      rgb[i * 3 + 2] = bl;
    }
    return rgb;
  }
}
