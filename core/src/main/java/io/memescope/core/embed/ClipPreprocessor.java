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

  public ClipPreprocessor(ModelMetadata meta) {
    this.size = meta.imageSize();
    this.resizeMode = meta.resizeMode();
    this.mean = meta.mean().clone();
    this.std = meta.std().clone();
  }

  public int size() {
    return size;
  }

  /** {@code 3 * size * size} floats. */
  public float[] apply(PilImage image) {
    PilImage resized = resize(image);
    PilImage cropped = centerCrop(resized);
    return normalise(cropped.toRgb());
  }

  PilImage resize(PilImage image) {
    if ("squash".equals(resizeMode)) {
      return PilResample.resizeBicubic(image, size, size);
    }
    // torchvision's Resize(int): shortest side to size, the other truncated as int(size * l / s).
    int w = image.width();
    int h = image.height();
    int shortSide = Math.min(w, h);
    int longSide = Math.max(w, h);
    int newLong = (int) ((double) size * longSide / shortSide);
    return w <= h
        ? PilResample.resizeBicubic(image, size, newLong)
        : PilResample.resizeBicubic(image, newLong, size);
  }

  PilImage centerCrop(PilImage image) {
    // torchvision rounds with Python's round(): half to even, as Math.rint does.
    int top = (int) Math.rint((image.height() - size) / 2.0);
    int left = (int) Math.rint((image.width() - size) / 2.0);
    return PilResample.crop(image, left, top, size, size);
  }

  private float[] normalise(int[] rgb) {
    int plane = size * size;
    float[] out = new float[3 * plane];
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        out[c * plane + i] = ((float) rgb[i * 3 + c] / 255f - mean[c]) / std[c];
      }
    }
    return out;
  }
}
