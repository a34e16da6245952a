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
  void selectionReturnsTheBestCandidatesExcludingRatedPairs() {
    QualitySpec spec = new QualitySpec(List.of("a", "b"), 8, List.of(16), 5, 0);
    Random r = new Random(1);
    List<String> ids = new ArrayList<>();
    float[][] emb = new float[60][8];
    for (int i = 0; i < emb.length; i++) {
      ids.add("i" + i);
      for (int d = 0; d < 8; d++) {
        emb[i][d] = (float) r.nextGaussian();
      }
    }
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
  }
}
