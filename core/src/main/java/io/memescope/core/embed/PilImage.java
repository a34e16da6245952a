package io.memescope.core.embed;

/**
 * An 8-bit image in one of PIL's modes, interleaved, as the reference preprocessing sees it. The
 * mode matters: PIL resizes palette images with NEAREST and premultiplies alpha before filtering.
 *
 * @param mode {@code RGB}, {@code RGBA}, {@code L}, {@code LA} or {@code P}
 * @param pixels samples (0..255), {@code bands} per pixel, row by row; for {@code P}, palette
 *     indices
 * @param palette for {@code P}: packed 0xRRGGBB per index; otherwise null
 */
public record PilImage(String mode, int width, int height, int[] pixels, int[] palette) {
  public int bands() {
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
          r = pixels[i * b];
          g = pixels[i * b + 1];
          bl = pixels[i * b + 2];
        }
        case "P" -> {
          int c = palette[pixels[i]];
          r = (c >> 16) & 0xff;
          g = (c >> 8) & 0xff;
          bl = c & 0xff;
        }
        default -> {
          r = pixels[i * b];
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
