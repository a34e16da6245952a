package io.memescope.core.config;

import com.typesafe.config.ConfigException;
import io.memescope.core.quality.QualitySpec;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The quality-model trainer (module trainer): the model's shape, how it trains, and how active
 * learning picks the next pairs to rate.
 *
 * @param hidden hidden layer sizes of each member's MLP, input side first
 * @param members ensemble size
 * @param dropout dropout rate after each hidden layer while training
 * @param patience epochs without a better validation loss before a member stops
 * @param validationFraction share of rated pairs held out, split by image
 * @param bootstrap members train on bootstrap resamples rather than on all pairs
 * @param refit a kept (and published) model is trained again on every usable pair, each member for
 *     the epochs early stopping chose for it
 * @param activeStrategy design, disagreement, uncertainty, information or random
 * @param activeCandidates random pairs sampled and scored per active-learning batch
 * @param activeBatchSize pairs an active-learning batch puts into the rating queue
 * @param activeDiversity 0..1, how strongly similar pairs are held back within a batch
 * @param activePool images sampled from the index to draw candidate pairs from
 * @param minRatings training refuses to run on fewer usable ratings
 * @param quantileSample images sampled from the index to fix a published version's score
 *     distribution
 * @param rescore whether publishing starts the re-scoring job over the whole index
 * @param rescoreSettle how long after a publication the re-scoring job's catch-up pass waits at
 *     least, so that the ingest job has switched to the version and written what it scored before
 */
public record TrainerSettings(
    List<Integer> hidden,
    int members,
    double dropout,
    double learningRate,
    double weightDecay,
    int batchSize,
    int maxEpochs,
    int patience,
    double validationFraction,
    long seed,
    boolean bootstrap,
    boolean refit,
    boolean progress,
    String activeStrategy,
    int activeCandidates,
    int activeBatchSize,
    double activeDiversity,
    int activePool,
    int minRatings,
    int quantileSample,
    boolean rescore,
    Duration rescoreSettle) {

  public static final Set<String> STRATEGIES =
      Set.of("design", "disagreement", "uncertainty", "information", "random");

  /** The model these settings describe, for the given dimensions and embedding length. */
  public QualitySpec spec(List<String> dimensions, int embeddingDim) {
    return new QualitySpec(dimensions, embeddingDim, hidden, members, dropout);
  }

  static TrainerSettings read(SettingsReader r) {
    List<Integer> hidden = List.of();
    try {
      hidden = List.copyOf(r.config().getIntList("trainer.hidden"));
    } catch (ConfigException e) {
      r.problem("trainer.hidden", "must be a list of layer sizes, e.g. [256, 64]");
    }
    for (int h : hidden) {
      if (h < 1 || h > 65536) {
        r.problem("trainer.hidden", "sizes must be between 1 and 65536");
      }
    }
    String strategy = r.nonBlank("trainer.active.strategy");
    if (!STRATEGIES.contains(strategy)) {
      r.problem(
          "trainer.active.strategy",
          "must be design, disagreement, uncertainty, information or random");
    }
    // Above 0.5 a dense set of ratings (one connected group of images) holds out no more than at
    // 0.5 (Split.byImage): refused rather than silently capped.
    double validation = r.doubleInRange("trainer.validation-fraction", 0, 0.5);
    double dropout = r.doubleInRange("trainer.dropout", 0, 0.9);
    long seed = 0;
    try {
      seed = r.config().getLong("trainer.seed");
    } catch (ConfigException e) {
      r.problem("trainer.seed", "must be an integer");
    }
    int candidates = r.intInRange("trainer.active.candidates", 1, 100_000_000);
    int batchSize = r.intInRange("trainer.active.batch-size", 1, 1_000_000);
    if (batchSize > candidates) {
      r.problem(
          "trainer.active.batch-size",
          "must be at most trainer.active.candidates ("
              + candidates
              + "): a batch is chosen from that many candidate pairs");
    }
    int members = r.intInRange("trainer.members", 1, 100);
    if (members == 1 && (strategy.equals("disagreement") || strategy.equals("information"))) {
      r.problem(
          "trainer.active.strategy",
          strategy
              + " measures how the ensemble's members disagree, and trainer.members is 1: "
              + "raise trainer.members or choose design, uncertainty or random");
    }
    return new TrainerSettings(
        hidden,
        members,
        dropout,
        r.doubleInRange("trainer.learning-rate", 1e-7, 1),
        r.doubleInRange("trainer.weight-decay", 0, 1),
        r.intInRange("trainer.batch-size", 1, 1 << 20),
        r.intInRange("trainer.max-epochs", 1, 100_000),
        r.intInRange("trainer.patience", 1, 100_000),
        validation,
        seed,
        r.bool("trainer.bootstrap"),
        r.bool("trainer.refit"),
        r.bool("trainer.progress"),
        strategy,
        candidates,
        batchSize,
        r.doubleInRange("trainer.active.diversity", 0, 1),
        r.intInRange("trainer.active.pool", 2, 10_000_000),
        r.intInRange("trainer.min-ratings", 1, Integer.MAX_VALUE),
        r.intInRange("trainer.quantile-sample", 101, 10_000_000),
        r.bool("trainer.rescore"),
        r.positiveDuration("trainer.rescore-settle"));
  }
}
