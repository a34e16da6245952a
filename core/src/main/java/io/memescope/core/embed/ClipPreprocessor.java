package io.memescope.core.embed;

import io.memescope.core.model.ModelMetadata;

/**
 * The reference (open_clip / torchvision on Pillow) image transform: resize (shortest side to the
 * model's size, or squash), centre crop, convert to RGB, scale to [0, 1], normalise per channel.
 * Output is CHW float32, ready for the image encoder.
 */
public final class ClipPreprocessor {
  private final int size;
  private final String resizeMode;
  private final float[] mean;
  private final float[] std;
  private final float[][] levels;

  public ClipPreprocessor(ModelMetadata meta) {
    this.size = meta.imageSize();
    this.resizeMode = meta.resizeMode();
    this.mean = meta.mean().clone();
    this.std = meta.std().clone();
    // Each of the 256 levels of each channel, normalised by the same float operations that
    // ToTensor and Normalize do per sample: a table gives the same bits for less work.
    this.levels = new float[3][256];
    for (int c = 0; c < 3; c++) {
      for (int v = 0; v < 256; v++) {
        levels[c][v] = ((float) v / 255f - mean[c]) / std[c];
      }
    }
  }

  public int size() {
    return size;
  }

  /**
   * The heap {@link #apply} allocates in full-size arrays, per pixel of an image of {@code mode}:
   * the premultiplied copy Pillow filters images with alpha through; the passes themselves hold
   * only what the crop needs.
   */
  public static int heapBytesPerPixel(String mode) {
    return switch (mode) {
      case "RGBA" -> 4;
      case "LA" -> 2;
      default -> 0;
    };
  }

  /** {@code 3 * size * size} floats. */
  public float[] apply(PilImage image) {
    int[] target = resizedSize(image);
    // torchvision rounds the crop's corner with Python's round(): half to even, as Math.rint does.
    int top = (int) Math.rint((target[1] - size) / 2.0);
    int left = (int) Math.rint((target[0] - size) / 2.0);
    // Resize and centre crop in one step: the same samples as one after the other, without
    // computing the ones the crop drops.
    PilImage cropped =
        PilResample.resizeBicubic(image, target[0], target[1], left, top, size, size);
    return normalise(cropped.toRgb());
  }

  /** The size the image is resized to before the crop. */
  int[] resizedSize(PilImage image) {
    if ("squash".equals(resizeMode)) {
      return new int[] {size, size};
    }
    // torchvision's Resize(int): shortest side to size, the other truncated as int(size * l / s).
    int w = image.width();
    int h = image.height();
    int newLong = (int) ((double) size * Math.max(w, h) / Math.min(w, h));
    return w <= h ? new int[] {size, newLong} : new int[] {newLong, size};
  }

  private float[] normalise(int[] rgb) {
    int plane = size * size;
    float[] out = new float[3 * plane];
    for (int c = 0; c < 3; c++) {
      float[] lut = levels[c];
      int offset = c * plane;
      for (int i = 0; i < plane; i++) {
        out[offset + i] = lut[rgb[i * 3 + c]];
      }
    }
    return out;
  }
}
