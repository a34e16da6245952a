package io.memescope.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * The Bradley-Terry pairwise loss on the DJL engine. Predictions: one [2B, K] array of raw scores,
 * the B left images first, then the B right images in the same order. Labels: soft targets P(left
 * beats right) [B, K] and a mask [B, K] (1 where the dimension was rated, 0 where not). The loss is
 * the binary cross-entropy of σ(s_left − s_right) against the target, averaged over the rated
 * entries: softplus(z) − t·z with z = s_left − s_right, computed stably as max(z, 0) − t·z + log(1
 * + exp(−|z|)).
 */
public final class BradleyTerryLoss extends Loss {

  public BradleyTerryLoss() {
    super("BradleyTerry");
  }

  @Override
  public NDArray evaluate(NDList labels, NDList predictions) {
    NDList halves = predictions.singletonOrThrow().split(2);
    NDArray z = halves.get(0).sub(halves.get(1));
    NDArray target = labels.get(0);
    NDArray mask = labels.get(1);
    NDArray loss = z.maximum(0f).sub(z.mul(target)).add(z.abs().neg().exp().add(1f).log());
    return loss.mul(mask).sum().div(mask.sum().maximum(1f));
  }

  /** The same loss for one entry, in doubles: for metrics computed outside the engine. */
  public static double of(double z, double target) {
    return Math.max(z, 0) - target * z + Math.log1p(Math.exp(-Math.abs(z)));
  }
}
