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
 * @param resample {@link Resample#NONE}: each member trains on all the training pairs in its own
 *     shuffled order; {@link Resample#MEMBER} ({@code trainer.bootstrap}): each on its own
 *     bootstrap resample of them, drawn once and shuffled every epoch (more diverse members);
 *     {@link Resample#EPOCH}: a fresh resample every epoch (what {@code trainer.bootstrap} did
 *     before 2026-12-05, kept for the active-learning benchmark, whose figures were measured with
 *     it)
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
    Resample resample,
    boolean progress) {

  /** Which pairs each member trains on; see the parameter. */
  public enum Resample {
    NONE,
    MEMBER,
    EPOCH
  }

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
    if (resample == null) {
      throw new IllegalArgumentException("resample must be given");
    }
  }

  /** The defaults of {@code trainer { ... }} in memescope-defaults.conf. */
  public static TrainingOptions defaults() {
    return new TrainingOptions(1e-3, 1e-4, 128, 200, 10, 0.2, 42, Resample.NONE, true);
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
        t.bootstrap() ? Resample.MEMBER : Resample.NONE,
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
        resample,
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
        resample,
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
        resample,
        progress);
  }

  public TrainingOptions withValidationFraction(double f) {
    return new TrainingOptions(
        learningRate, weightDecay, batchSize, maxEpochs, patience, f, seed, resample, progress);
  }

  public TrainingOptions withResample(Resample r) {
    return new TrainingOptions(
        learningRate,
        weightDecay,
        batchSize,
        maxEpochs,
        patience,
        validationFraction,
        seed,
        r,
        progress);
  }
}
