package io.memescope.core.embed;

/**
 * How an encoder runs.
 *
 * @param device {@code auto} (a GPU when the engine sees one), {@code cpu}, {@code gpu} or {@code
 *     gpu:N}
 * @param batchSize inputs per forward pass
 * @param workers predictors per tower, i.e. batches that may run at once
 * @param maxPixels images with more pixels are refused before decoding
 */
public record EncoderOptions(String device, int batchSize, int workers, long maxPixels) {
  public EncoderOptions {
    if (!device.matches("auto|cpu|gpu|gpu:\\d+")) {
      throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N, not " + device);
    }
    if (batchSize < 1 || workers < 1) {
      throw new IllegalArgumentException("batchSize and workers must be at least 1");
    }
  }

  public static EncoderOptions defaults() {
    return new EncoderOptions("auto", 16, 2, ImageDecoder.DEFAULT_MAX_PIXELS);
  }
}
