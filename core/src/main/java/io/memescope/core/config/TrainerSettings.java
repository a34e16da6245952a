package io.memescope.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The quality model trainer ({@code memescope train}, module trainer): the model's shape, how it is
 * trained, published and how active learning picks pairs. The dimensions are {@code
 * rater.dimensions}.
 */
public record TrainerSettings(
    int members,
    List<Integer> hidden,
    double dropout,
    double learningRate,
    double weightDecay,
    int batchSize,
    int maxEpochs,
    int patience,
    double validationFraction,
    long seed,
    boolean bootstrap,
    int minRatings,
    int quantileSample,
    boolean rescore,
    String strategy,
    int pool,
    int candidates,
    double diversity,
    int batch) {

  static final List<String> STRATEGIES = List.of("disagreement", "uncertainty", "random");

  static TrainerSettings read(SettingsReader r) {
    List<Integer> hidden = new ArrayList<>();
    try {
      hidden.addAll(r.config().getIntList("trainer.hidden"));
    } catch (com.typesafe.config.ConfigException e) {
      r.problem("trainer.hidden", "must be a list of layer sizes such as [256, 64]");
    }
    if (hidden.stream().anyMatch(h -> h < 1 || h > 65536)) {
      r.problem("trainer.hidden", "sizes must be between 1 and 65536");
    }
    String strategy = r.nonBlank("trainer.active.strategy").toLowerCase(Locale.ROOT);
    if (!STRATEGIES.contains(strategy)) {
      r.problem("trainer.active.strategy", "is '" + strategy + "', must be one of " + STRATEGIES);
    }
    return new TrainerSettings(
        r.intInRange("trainer.members", 1, 64),
        List.copyOf(hidden),
        fraction(r, "trainer.dropout", 0, 0.95),
        fraction(r, "trainer.learning-rate", 1e-7, 1),
        fraction(r, "trainer.weight-decay", 0, 1),
        r.intInRange("trainer.batch-size", 1, 1 << 16),
        r.intInRange("trainer.max-epochs", 1, 100_000),
        r.intInRange("trainer.patience", 1, 100_000),
        fraction(r, "trainer.validation-fraction", 0, 0.9),
        r.intInRange("trainer.seed", Integer.MIN_VALUE, Integer.MAX_VALUE),
        r.bool("trainer.bootstrap"),
        r.intInRange("trainer.min-ratings", 1, Integer.MAX_VALUE),
        r.intInRange("trainer.quantile-sample", 101, 10_000_000),
        r.bool("trainer.rescore"),
        strategy,
        r.intInRange("trainer.active.pool", 2, 10_000_000),
        r.intInRange("trainer.active.candidates", 1, 100_000_000),
        fraction(r, "trainer.active.diversity", 0, 1),
        r.intInRange("trainer.active.batch", 1, 1_000_000));
  }

  private static double fraction(SettingsReader r, String key, double min, double max) {
    double v = min;
    try {
      v = r.config().getDouble(key);
    } catch (com.typesafe.config.ConfigException e) {
      r.problem(key, "must be a number");
      return min;
    }
    if (!(v >= min && v <= max)) {
      r.problem(key, "is " + v + ", must be between " + min + " and " + max);
    }
    return v;
  }
}
