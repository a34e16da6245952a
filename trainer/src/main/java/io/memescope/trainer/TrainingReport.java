package io.memescope.trainer;

import io.memescope.core.quality.QualitySpec;
import io.memescope.core.records.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one training run did, written as JSON next to its learning-curve picture.
 *
 * @param trainPairs pairs trained on; validationPairs held out; droppedPairs lost to the by-image
 *     split (one image on each side); missingEmbeddings pairs left out because an image had no
 *     embedding
 * @param members per member: its learning curves and the epoch whose parameters it kept
 * @param metrics the ensemble's held-out figures: {@code accuracy}, {@code log_loss}, {@code
 *     calibration_error}, and {@code accuracy.<dimension>}; NaN without validation pairs
 * @param pairsPerSecond training throughput: pairs through forward, backward and optimiser step per
 *     second of training (validation excluded), all members together
 * @param refitPairs 0 when the model is the one these figures measure; otherwise the model was
 *     trained again on this many pairs, every usable one, each member for its {@code bestEpoch}
 *     epochs ({@link QualityTrainer#refit}), and the figures measure the run before
 */
public record TrainingReport(
    QualitySpec spec,
    TrainingOptions options,
    Instant startedAt,
    double durationSeconds,
    int trainPairs,
    int validationPairs,
    int droppedPairs,
    int missingEmbeddings,
    List<MemberCurve> members,
    Map<String, Double> metrics,
    double pairsPerSecond,
    int refitPairs) {

  /** This report, for a model trained again on {@code pairs} pairs. */
  public TrainingReport withRefit(int pairs) {
    return new TrainingReport(
        spec,
        options,
        startedAt,
        durationSeconds,
        trainPairs,
        validationPairs,
        droppedPairs,
        missingEmbeddings,
        members,
        metrics,
        pairsPerSecond,
        pairs);
  }

  /**
   * One member's curves, one entry per epoch run.
   *
   * @param member numbered from 1, as the progress bar and messages number it (from 0 until
   *     2026-12-06)
   * @param bestEpoch 1-based epoch of the kept parameters (the lowest validation loss; the last
   *     epoch without validation)
   */
  public record MemberCurve(
      int member,
      long seed,
      int bestEpoch,
      List<Double> trainLoss,
      List<Double> validationLoss,
      List<Double> validationAccuracy) {}

  public double metric(String name) {
    Double v = metrics.get(name);
    return v == null ? Double.NaN : v;
  }

  /**
   * Writes the report to {@code file} whole or not at all: through a file beside it, moved over it,
   * so that a full disk leaves an earlier report as it was rather than cut short.
   */
  public void writeJson(Path file) throws IOException {
    RunFolder.writeWhole(
        file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
  }

  public static TrainingReport readJson(Path file) throws IOException {
    return Json.read(Files.readAllBytes(file), TrainingReport.class);
  }
}
