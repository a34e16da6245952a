package io.memescope.trainer;

/**
 * How {@link QualityTrainer} trains (the model's shape is the {@link
 * io.memescope.core.quality.QualitySpec}).
 *
 * @param learningRate Adam's step size
 * @param weightDecay L2 penalty on the weights (Adam's weight decay), 0 for none
 * @param batchSize pairs per optimiser step
 * @param maxEpochs passes over the training pairs at most
 * @param patience epochs without a better validation loss before a member stops; its best
 *     parameters are kept
 * @param validationFraction share of pairs held out for validation, split by image ({@link Split})
 * @param seed fixes the split, the initialisation and every member's data order
 * @param bootstrap each member trains on its own bootstrap resample of the training pairs (more
 *     diverse members) rather than on all of them in its own shuffled order
 * @param progress draw a progress bar on stderr (only when there is a console)
 */
public record TrainingOptions(
    double learningRate,
    double weightDecay,
    int batchSize,
    int maxEpochs,
    int patience,
    double validationFraction,
    long seed,
    boolean bootstrap,
    boolean progress) {

  public TrainingOptions {
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learningRate must be positive");
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weightDecay must not be negative");
    }
    if (batchSize < 1 || maxEpochs < 1 || patience < 1) {
      throw new IllegalArgumentException("batchSize, maxEpochs and patience must be positive");
    }
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("validationFraction must be in [0, 1)");
    }
  }

  /** The defaults of {@code trainer { ... }} in memescope-defaults.conf. */
  public static TrainingOptions defaults() {
    return new TrainingOptions(1e-3, 1e-4, 128, 200, 10, 0.2, 42, false, true);
  }

  /** The options of {@code trainer { ... }} in the configuration. */
  public static TrainingOptions from(io.memescope.core.config.TrainerSettings t) {
    return new TrainingOptions(
        t.learningRate(),
        t.weightDecay(),
        t.batchSize(),
        t.maxEpochs(),
        t.patience(),
        t.validationFraction(),
        t.seed(),
        t.bootstrap(),
        t.progress());
  }

  public TrainingOptions withSeed(long s) {
    return new TrainingOptions(
        learningRate,
        weightDecay,
        batchSize,
        maxEpochs,
        patience,
        validationFraction,
        s,
        bootstrap,
        progress);
  }

  public TrainingOptions withProgress(boolean p) {
    return new TrainingOptions(
        learningRate,
        weightDecay,
        batchSize,
        maxEpochs,
        patience,
        validationFraction,
        seed,
        bootstrap,
        p);
  }

  public TrainingOptions withEpochs(int max, int patienceEpochs) {
    return new TrainingOptions(
        learningRate,
        weightDecay,
        batchSize,
        max,
        patienceEpochs,
        validationFraction,
        seed,
        bootstrap,
        progress);
  }

  public TrainingOptions withValidationFraction(double f) {
    return new TrainingOptions(
        learningRate, weightDecay, batchSize, maxEpochs, patience, f, seed, bootstrap, progress);
  }

  public TrainingOptions withBootstrap(boolean b) {
    return new TrainingOptions(
        learningRate,
        weightDecay,
        batchSize,
        maxEpochs,
        patience,
        validationFraction,
        seed,
        b,
        progress);
  }
}
