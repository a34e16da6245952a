package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BradleyTerryLossTest {

  @Test
  void softTargetsFollowTheFivePointScale() {
    List<String> dims = List.of("usefulness", "memeness", "aesthetics");
    Comparison c = Comparison.fromScores("a", "b", dims, Map.of("usefulness", -2, "memeness", 1));
    assertThat(c.target(0)).isEqualTo(0.9); // left much better
    assertThat(c.target(1)).isEqualTo(0.3); // right better
    assertThat(c.target(2)).isNaN(); // not rated
    assertThat(c.swapped().target(0)).isCloseTo(0.1, within(1e-12));
    assertThat(Comparison.fromScores("a", "b", dims, Map.of("memeness", 0)).target(1))
        .isEqualTo(0.5);
  }

  @Test
  void lossIsCrossEntropyOfTheScoreDifferenceMaskedForMissingDimensions() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      // two pairs, two dimensions: scores of lefts then rights
      NDArray scores = m.create(new float[] {2f, 0f, -1f, 5f, 0f, 0f, 1f, 99f}, new Shape(4, 2));
      NDArray targets = m.create(new float[] {0.9f, 0.5f, 0.3f, 0.5f}, new Shape(2, 2));
      NDArray mask = m.create(new float[] {1f, 1f, 1f, 0f}, new Shape(2, 2));
      float loss =
          new BradleyTerryLoss().evaluate(new NDList(targets, mask), new NDList(scores)).getFloat();
      double expected =
          (bce(2 - 0, 0.9) + bce(0 - 0, 0.5) + bce(-1 - 1, 0.3)) / 3; // the masked entry is out
      assertThat((double) loss).isCloseTo(expected, within(1e-5));
      assertThat(BradleyTerryLoss.of(2, 0.9)).isCloseTo(bce(2, 0.9), within(1e-12));
      // minimised where σ(z) equals the target
      double zStar = Math.log(0.7 / 0.3);
      assertThat(BradleyTerryLoss.of(zStar, 0.7)).isLessThan(BradleyTerryLoss.of(zStar + 0.1, 0.7));
      assertThat(BradleyTerryLoss.of(zStar, 0.7)).isLessThan(BradleyTerryLoss.of(zStar - 0.1, 0.7));
    }
  }

  @Test
  void metricsLeaveTiesOutOfAccuracyAndMeasureCalibration() {
    List<Comparison> pairs =
        List.of(
            new Comparison("a", "b", new double[] {0.9}),
            new Comparison("c", "d", new double[] {0.3}),
            new Comparison("e", "f", new double[] {0.5}),
            new Comparison("g", "h", new double[] {Double.NaN}));
    double[][] p = {{0.8}, {0.6}, {0.1}, {0.5}};
    PairMetrics m = PairMetrics.of(p, pairs);
    assertThat(m.entries()).isEqualTo(3);
    assertThat(m.decided()).isEqualTo(2);
    assertThat(m.accuracy()).isEqualTo(0.5);
    // bins: 0.8 vs 0.9, 0.6 vs 0.3, 0.1 vs 0.5 → (0.1 + 0.3 + 0.4) / 3
    assertThat(m.calibrationError()).isCloseTo(0.8 / 3, within(1e-9));
  }

  @Test
  void aProbabilityOfExactlyOneHalfIsHalfRightWhicheverImageWon() {
    // A collapsed model (every image the same score) predicts 0.5 for every pair: 50 %, not the
    // share of pairs the right image won.
    List<Comparison> pairs =
        List.of(
            new Comparison("a", "b", new double[] {0.3}),
            new Comparison("c", "d", new double[] {0.1}),
            new Comparison("e", "f", new double[] {0.7}));
    double[][] p = {{0.5}, {0.5}, {0.5}};
    assertThat(PairMetrics.of(p, pairs).accuracy()).isEqualTo(0.5);
  }

  private static double bce(double z, double t) {
    double p = 1 / (1 + Math.exp(-z));
    return -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
  }
}
