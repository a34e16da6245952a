package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.quality.QualityModel;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.rating.PairKey;
import io.memescope.trainer.ActiveLearning.Options;
import io.memescope.trainer.ActiveLearning.Selection;
import io.memescope.trainer.ActiveLearning.Strategy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ActiveLearningTest {

  /** [member][image][dim]: images 0, 1 scored alike by all members; 2, 3 split the members. */
  private static final float[][][] SCORES = {
    {{1f}, {0f}, {3f}, {-3f}},
    {{1f}, {0f}, {-3f}, {3f}},
    {{1f}, {0f}, {3f}, {-3f}},
  };

  @Test
  void disagreementPrefersPairsTheMembersDisagreeOn() {
    double agreed = ActiveLearning.score(Strategy.DISAGREEMENT, SCORES, 0, 1);
    double disputed = ActiveLearning.score(Strategy.DISAGREEMENT, SCORES, 2, 3);
    assertThat(agreed).isZero();
    assertThat(disputed).isGreaterThan(0.1);
  }

  @Test
  void informationIsZeroWhereMembersAgree() {
    assertThat(ActiveLearning.score(Strategy.INFORMATION, SCORES, 0, 1)).isCloseTo(0, within());
    assertThat(ActiveLearning.score(Strategy.INFORMATION, SCORES, 2, 3)).isGreaterThan(0.1);
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }

  @Test
  void uncertaintyPrefersProbabilitiesNearOneHalf() {
    float[][][] s = {{{0f}, {0.1f}, {4f}}};
    assertThat(ActiveLearning.score(Strategy.UNCERTAINTY, s, 0, 1))
        .isGreaterThan(ActiveLearning.score(Strategy.UNCERTAINTY, s, 0, 2));
    assertThat(ActiveLearning.score(Strategy.UNCERTAINTY, s, 0, 0)).isEqualTo(1.0);
  }

  @Test
  void diversityAvoidsReusingImagesAndNearIdenticalPairs() {
    float[][] emb = {{1, 0}, {0, 1}, {1, 0.01f}, {0.01f, 1}, {-1, 0}, {-1, -0.2f}};
    int[][] pairs = {{0, 1}, {0, 3}, {2, 3}, {4, 0}, {4, 5}};
    double[] value = {1.0, 0.99, 0.98, 0.5, 0.4};
    int[] plain = ActiveLearning.diverseTop(pairs, value, emb, 3, 0);
    assertThat(plain).containsExactly(0, 1, 2);
    int[] diverse = ActiveLearning.diverseTop(pairs, value, emb, 2, 1.0);
    // pair 1 shares image 0 with pair 0; pair 2's difference is nearly pair 0's; pair 4 is new
    assertThat(diverse[0]).isEqualTo(0);
    assertThat(diverse[1]).isEqualTo(4);
  }

  @Test
  void designPicksTheDirectionsTheRatingsSoFarLeaveOpen() {
    // Images on three axes: pairs along x (0-1, 6-7), along y (2-3) and along z (4-5).
    float[][] emb = {
      {1, 0, 0},
      {-1, 0, 0},
      {0, 1, 0},
      {0, -1, 0},
      {0, 0, 1},
      {0, 0, -1},
      {0.9f, 0, 0},
      {-0.9f, 0, 0},
      {0, 0, 0.9f},
      {0, 0, -0.9f}
    };
    int[][] pairs = {{6, 7}, {2, 3}, {4, 5}};
    double[] weight = {0.25, 0.25, 0.25};
    // Nothing rated yet: all three directions are open; a longer difference (y or z: |Δx|² = 4)
    // beats the shorter x pair (3.24); y and z tie, and the first wins.
    assertThat(ActiveLearning.design(pairs, weight, emb, List.of(), 1)).containsExactly(1);
    // Pair 0-1 (along x) is rated, y has one rating too: z is the most open, then y, x last.
    List<double[]> rated = List.of(new double[] {0, 1, 0.25}, new double[] {2, 3, 0.05});
    assertThat(ActiveLearning.design(pairs, weight, emb, rated, 3)).containsExactly(2, 1, 0);
    // The batch counts its own picks: after one z pair, the second (worth 0.81 before) is worth
    // less than an open y (0.8).
    int[][] twoZ = {{4, 5}, {8, 9}, {2, 3}};
    double[] w3 = {0.25, 0.25, 0.2};
    assertThat(ActiveLearning.design(twoZ, w3, emb, List.of(), 2)).containsExactly(0, 2);
    // A pair the model is sure of (P near 0 or 1) teaches little, however open its direction:
    // here x, the most rated direction, wins over open y and z pairs the model is sure of.
    double[] sure = {0.25, 0.001, 0.001};
    assertThat(ActiveLearning.design(pairs, sure, emb, rated, 1)).containsExactly(0);
  }

  @Test
  void designScoresAreTheFisherInformationAndLabelledPairsComeFromTheExcludedKeys() {
    float[][][] s = {{{0f}, {0f}, {6f}}, {{0f}, {0f}, {6f}}};
    assertThat(ActiveLearning.score(Strategy.DESIGN, s, 0, 1)).isCloseTo(0.25, within());
    assertThat(ActiveLearning.score(Strategy.DESIGN, s, 0, 2)).isLessThan(0.01);
    List<String> ids = List.of("a", "b", "c");
    List<double[]> labelled =
        ActiveLearning.labelled(
            ids, Set.of(PairKey.of("a", "b"), PairKey.of("c", "zz-not-in-the-sample")), s);
    assertThat(labelled).hasSize(1);
    assertThat(labelled.get(0)[0]).isEqualTo(0); // "a"
    assertThat(labelled.get(0)[1]).isEqualTo(1); // "b"
    assertThat(labelled.get(0)[2]).isCloseTo(0.25, within());
  }

  @Test
  void designSelectionAvoidsWhatRatedImagesOutsideTheSampleCovered() {
    // The sample: pairs along x or along y. Rated pairs outside the sample cover x many times.
    QualitySpec spec = new QualitySpec(List.of("q"), 2, List.of(4), 3, 0);
    List<String> ids = new ArrayList<>();
    float[][] emb = new float[40][];
    for (int i = 0; i < 40; i++) {
      ids.add("s" + i);
      float t = (i % 20) / 10f - 1;
      emb[i] = i < 20 ? new float[] {t, 0} : new float[] {0, t};
    }
    Map<String, float[]> rated = new HashMap<>();
    Set<String> exclude = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      rated.put("rl" + i, new float[] {1, 0});
      rated.put("rr" + i, new float[] {-1, 0});
      exclude.add(PairKey.of("rl" + i, "rr" + i));
    }
    try (QualityModel model = QualityModel.create(spec, 3)) {
      Options o = new Options(Strategy.DESIGN, 500, 4, 0, 5);
      int yPairs = 0;
      for (Selection s : ActiveLearning.select(model, ids, emb, exclude, rated, o)) {
        assertThat(s.leftId()).startsWith("s"); // rated images are context, never candidates
        assertThat(s.rightId()).startsWith("s");
        if (Integer.parseInt(s.leftId().substring(1)) >= 20
            && Integer.parseInt(s.rightId().substring(1)) >= 20) {
          yPairs++;
        }
      }
      assertThat(yPairs).isEqualTo(4); // x is known: the design asks about y only
      // Without the rated context both directions are open: after a y pair, x is the more open.
      int yAlone = 0;
      for (Selection s : ActiveLearning.select(model, ids, emb, exclude, o)) {
        if (Integer.parseInt(s.leftId().substring(1)) >= 20
            && Integer.parseInt(s.rightId().substring(1)) >= 20) {
          yAlone++;
        }
      }
      assertThat(yAlone).isLessThan(yPairs);
    }
  }

  @Test
  void designStartsColdWithoutAModelAndOtherStrategiesRefuseTo() {
    // Before any model: pairs along x or along y, and queued pairs outside the sample cover x.
    List<String> ids = new ArrayList<>();
    float[][] emb = new float[40][];
    for (int i = 0; i < 40; i++) {
      ids.add("s" + i);
      float t = (i % 20) / 10f - 1;
      emb[i] = i < 20 ? new float[] {t, 0} : new float[] {0, t};
    }
    Map<String, float[]> rated = new HashMap<>();
    Set<String> exclude = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      rated.put("rl" + i, new float[] {1, 0});
      rated.put("rr" + i, new float[] {-1, 0});
      exclude.add(PairKey.of("rl" + i, "rr" + i));
    }
    Options o = new Options(Strategy.DESIGN, 500, 4, 0, 5);
    List<Selection> chosen = ActiveLearning.select(null, ids, emb, exclude, rated, o);
    assertThat(chosen).hasSize(4);
    Set<String> images = new HashSet<>();
    for (Selection s : chosen) {
      assertThat(Integer.parseInt(s.leftId().substring(1))).isGreaterThanOrEqualTo(20);
      assertThat(Integer.parseInt(s.rightId().substring(1))).isGreaterThanOrEqualTo(20);
      assertThat(s.score()).isEqualTo(ActiveLearning.COLD);
      images.add(s.leftId());
      images.add(s.rightId());
    }
    assertThat(images).hasSize(8); // no image twice in a batch
    // With nothing known, the design spreads its pairs over both directions.
    double[] covered = new double[2];
    for (Selection s : ActiveLearning.select(null, ids, emb, Set.of(), o)) {
      float[] l = emb[Integer.parseInt(s.leftId().substring(1))];
      float[] r = emb[Integer.parseInt(s.rightId().substring(1))];
      for (int d = 0; d < 2; d++) {
        covered[d] += (l[d] - r[d]) * (l[d] - r[d]);
      }
    }
    assertThat(covered[0]).isGreaterThan(1.0);
    assertThat(covered[1]).isGreaterThan(1.0);
    for (Strategy needsModel :
        List.of(Strategy.DISAGREEMENT, Strategy.UNCERTAINTY, Strategy.INFORMATION)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> ActiveLearning.select(null, ids, emb, Set.of(), o.with(needsModel, 5)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("needs a model");
    }
  }

  @Test
  void aOneMemberModelIsRefusedByTheStrategiesThatMeasureDisagreement() {
    QualitySpec spec = new QualitySpec(List.of("q"), 4, List.of(8), 1, 0);
    Random r = new Random(2);
    List<String> ids = new ArrayList<>();
    float[][] emb = new float[20][4];
    for (int i = 0; i < emb.length; i++) {
      ids.add("i" + i);
      for (int d = 0; d < 4; d++) {
        emb[i][d] = (float) r.nextGaussian();
      }
    }
    try (QualityModel model = QualityModel.create(spec, 3)) {
      Options o = new Options(Strategy.DISAGREEMENT, 100, 5, 0.5, 5);
      for (Strategy s : List.of(Strategy.DISAGREEMENT, Strategy.INFORMATION)) {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> ActiveLearning.select(model, ids, emb, Set.of(), o.with(s, 5)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(s.label() + " measures how an ensemble's members disagree")
            .hasMessageContaining("one member");
      }
      for (Strategy s : List.of(Strategy.UNCERTAINTY, Strategy.DESIGN, Strategy.RANDOM)) {
        assertThat(ActiveLearning.select(model, ids, emb, Set.of(), o.with(s, 5))).hasSize(5);
      }
    }
  }

  @Test
  void invertGivesTheInverse() {
    double[][] m = {{4, 1, 0}, {1, 3, 1}, {0, 1, 2}};
    double[][] inv = ActiveLearning.invert(m);
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        double sum = 0;
        for (int k = 0; k < 3; k++) {
          sum += m[i][k] * inv[k][j];
        }
        assertThat(sum).isCloseTo(i == j ? 1 : 0, org.assertj.core.data.Offset.offset(1e-12));
      }
    }
  }

  @Test
  void aSelectionThatWouldNotFitInTheHeapIsRefusedBeforeAnythingIsAllocated() {
    long gib = 1L << 30;
    // The defaults with CLIP's 512 dimensions fit a 1 GB heap easily.
    ActiveLearning.checkMemory(Strategy.DESIGN, 20_000, 512, 0.5, gib);
    ActiveLearning.checkMemory(Strategy.RANDOM, 1_000_000, 512, 0.5, gib);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ActiveLearning.checkMemory(Strategy.DESIGN, 1_000_000, 512, 0.5, gib))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("design over 1000000 candidate pairs")
        .hasMessageContaining("lower trainer.active.candidates");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ActiveLearning.checkMemory(Strategy.DISAGREEMENT, 1_000_000, 512, 0.5, gib))
        .hasMessageContaining("disagreement over");
    ActiveLearning.checkMemory(Strategy.DISAGREEMENT, 1_000_000, 512, 0, gib);
  }

  @Test
  void aPairWithAnImageTheModelCannotScoreIsNotPickedFirst() {
    QualitySpec spec = new QualitySpec(List.of("a", "b"), 8, List.of(16), 5, 0);
    List<String> ids = new ArrayList<>();
    float[][] emb = gaussianPool(ids, 40, 8, 2);
    // Huge but finite components overflow in the first layer: the model scores image 0 NaN.
    for (int d = 0; d < 8; d++) {
      emb[0][d] = d % 2 == 0 ? 3e38f : -3e38f;
    }
    try (QualityModel model = QualityModel.create(spec, 3)) {
      assertThat(model.memberScores(emb)[0][0][0]).as("the premise: a NaN score").isNaN();
      for (Strategy s :
          List.of(Strategy.DISAGREEMENT, Strategy.UNCERTAINTY, Strategy.INFORMATION)) {
        for (double diversity : new double[] {0, 0.5}) {
          List<Selection> top =
              ActiveLearning.select(
                  model, ids, emb, Set.of(), new Options(s, 400, 10, diversity, 7));
          assertThat(top).as("%s, diversity %s", s, diversity).hasSize(10);
          for (Selection sel : top) {
            assertThat(List.of(sel.leftId(), sel.rightId()))
                .as("%s, diversity %s", s, diversity)
                .doesNotContain("i0");
            assertThat(sel.score()).isFinite();
          }
        }
      }
    }
  }

  @Test
  void selectionReturnsTheBestCandidatesExcludingRatedPairs() {
    QualitySpec spec = new QualitySpec(List.of("a", "b"), 8, List.of(16), 5, 0);
    List<String> ids = new ArrayList<>();
    float[][] emb = gaussianPool(ids, 60, 8, 1);
    Set<String> exclude = new HashSet<>();
    for (int i = 1; i < 60; i++) {
      exclude.add(PairKey.of("i0", "i" + i)); // image 0 is rated against everyone
    }
    try (QualityModel model = QualityModel.create(spec, 3)) {
      Options o = new Options(Strategy.DISAGREEMENT, 500, 20, 0, 5);
      List<Selection> top = ActiveLearning.select(model, ids, emb, exclude, o);
      assertThat(top).hasSize(20);
      for (Selection s : top) {
        assertThat(exclude).doesNotContain(PairKey.of(s.leftId(), s.rightId()));
      }
      for (int i = 1; i < top.size(); i++) {
        assertThat(top.get(i).score()).isLessThanOrEqualTo(top.get(i - 1).score());
      }
      // the batch beats the typical candidate by far
      float[][][] scores = model.memberScores(emb);
      List<Double> all = new ArrayList<>();
      for (int[] p : ActiveLearning.sample(ids, exclude, 500, new Random(5))) {
        all.add(ActiveLearning.score(Strategy.DISAGREEMENT, scores, p[0], p[1]));
      }
      all.sort(null);
      assertThat(top.get(top.size() - 1).score()).isGreaterThan(all.get(all.size() / 2));
      Options diverse = new Options(Strategy.DISAGREEMENT, 500, 20, 0.5, 5);
      Map<String, Integer> uses = new HashMap<>();
      for (Selection s : ActiveLearning.select(model, ids, emb, exclude, diverse)) {
        uses.merge(s.leftId(), 1, Integer::sum);
        uses.merge(s.rightId(), 1, Integer::sum);
      }
      assertThat(uses.values()).allMatch(n -> n == 1); // 40 distinct images of 60
    }
  }

  @Test
  void randomIsRoughlyUniformOverImages() {
    List<String> ids = new ArrayList<>();
    float[][] emb = new float[20][2];
    for (int i = 0; i < 20; i++) {
      ids.add("i" + i);
    }
    int[] counts = new int[20];
    Options o = new Options(Strategy.RANDOM, 4000, 2000, 0, 9);
    List<Selection> out = ActiveLearning.select(null, ids, emb, Set.of(), o);
    assertThat(out).hasSize(190); // every pair of 20 images once: 20 * 19 / 2
    Set<String> keys = new HashSet<>();
    for (Selection s : out) {
      keys.add(PairKey.of(s.leftId(), s.rightId()));
      counts[Integer.parseInt(s.leftId().substring(1))]++;
    }
    assertThat(keys).hasSize(190);
    // left side: each image about 190 / 20 = 9.5 times
    for (int c : counts) {
      assertThat(c).isBetween(2, 19);
    }
    List<Selection> few =
        ActiveLearning.select(null, ids, emb, Set.of(), new Options(Strategy.RANDOM, 50, 10, 0, 1));
    assertThat(few).hasSize(10);

    // Far from exhausting the pairs (20,000 of 79,800): each of 400 images is in about 100 of
    // them. The chi-square statistic of those counts has 399 degrees of freedom (mean 399, sd
    // 28). A sampler that put half the images in a tenth more pairs than the other half would
    // raise it by about 400 (tried: 598).
    int n = 400;
    List<String> many = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      many.add("m" + i);
    }
    List<Selection> sample =
        ActiveLearning.select(
            null,
            many,
            new float[n][2],
            Set.of(),
            new Options(Strategy.RANDOM, 20000, 20000, 0, 3));
    assertThat(sample).hasSize(20000);
    int[] appearances = new int[n];
    Set<String> distinct = new HashSet<>();
    for (Selection sel : sample) {
      distinct.add(PairKey.of(sel.leftId(), sel.rightId()));
      appearances[Integer.parseInt(sel.leftId().substring(1))]++;
      appearances[Integer.parseInt(sel.rightId().substring(1))]++;
    }
    assertThat(distinct).hasSize(20000);
    double chiSquare = 0;
    for (int a : appearances) {
      chiSquare += (a - 100.0) * (a - 100.0) / 100.0;
    }
    assertThat(chiSquare).isLessThan(540); // 5 sd above the mean
  }

  /** {@code n} images "i0", "i1", … (added to {@code ids}) with Gaussian embeddings. */
  private static float[][] gaussianPool(List<String> ids, int n, int dim, long seed) {
    Random r = new Random(seed);
    float[][] emb = new float[n][dim];
    for (int i = 0; i < n; i++) {
      ids.add("i" + i);
      for (int d = 0; d < dim; d++) {
        emb[i][d] = (float) r.nextGaussian();
      }
    }
    return emb;
  }
}
