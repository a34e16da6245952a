package io.memescope.core.config;

import io.memescope.core.embed.EncoderOptions;
import java.nio.file.Path;

/**
 * Which embedding model the system uses, and how it runs.
 *
 * @param torchThreads libtorch's intra-op threads in the processes the local stack starts (as
 *     {@code OMP_NUM_THREADS}, unless the environment sets it already); 0 leaves libtorch's own
 *     choice, one per core
 */
public record ModelSettings(
    Path dir, String device, int batchSize, int workers, long maxPixels, int torchThreads) {

  /** The environment variable that sets libtorch's intra-op threads (it reads it once, at load). */
  public static final String TORCH_THREADS_ENV = "OMP_NUM_THREADS";

  public EncoderOptions encoderOptions() {
    return new EncoderOptions(device, batchSize, workers, maxPixels);
  }

  /** The largest {@code model.max-pixels}: 2^28, whose 4-band samples fit one int array. */
  public static final long MAX_PIXELS_LIMIT = 1L << 28;

  static ModelSettings read(SettingsReader r) {
    String device = r.nonBlank("model.device");
    if (!device.matches("auto|cpu|gpu|gpu:\\d+")) {
      r.problem("model.device", "is '" + device + "', must be auto, cpu, gpu or gpu:N");
      device = "auto";
    }
    long maxPixels = 0;
    try {
      maxPixels = r.config().getLong("model.max-pixels");
    } catch (com.typesafe.config.ConfigException e) {
      r.problem("model.max-pixels", "must be a whole number");
    }
    if (maxPixels < 1) {
      r.problem("model.max-pixels", "must be positive");
      maxPixels = 1;
    }
    // Decoded samples are one int array: 4 bands of 2^28 pixels is the most it holds (and 4 GiB).
    if (maxPixels > MAX_PIXELS_LIMIT) {
      r.problem("model.max-pixels", "is " + maxPixels + ", must be at most " + MAX_PIXELS_LIMIT);
      maxPixels = MAX_PIXELS_LIMIT;
    }
    return new ModelSettings(
        underRoot(r.path("model.dir")),
        device,
        r.intInRange("model.batch-size", 1, 4096),
        r.intInRange("model.workers", 1, 64),
        maxPixels,
        r.intInRange("model.torch-threads", 0, 1024));
  }

  /**
   * A relative model directory names a folder of the repository ({@code models/}), where the
   * launcher ({@code -Dmemescope.root}) says it is: every command and process of the stack then
   * finds the same one wherever it runs. Until 2026-12-07 the command resolved it against the
   * working folder and the processes it started against the repository, so that `up` run from a
   * folder of its own made no collection and `model install` wrote where nothing read.
   */
  static Path underRoot(Path dir) {
    String root = System.getProperty("memescope.root");
    if (dir.isAbsolute() || root == null || root.isBlank()) {
      return dir;
    }
    return Path.of(root).resolve(dir).toAbsolutePath().normalize();
  }
}
