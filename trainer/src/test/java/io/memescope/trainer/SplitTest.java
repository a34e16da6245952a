package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.trainer.bench.Simulation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitTest {
  private static final double[] T = {0.7};

  private static Set<String> images(List<Comparison> pairs) {
    Set<String> out = new HashSet<>();
    for (Comparison c : pairs) {
      out.add(c.leftId());
      out.add(c.rightId());
    }
    return out;
  }

  private static void assertDisjoint(Split s, int total) {
    Set<String> train = images(s.train());
    Set<String> val = images(s.validation());
    train.retainAll(val);
    assertThat(train).as("images on both sides").isEmpty();
    assertThat(s.train().size() + s.validation().size() + s.dropped()).isEqualTo(total);
  }

  @Test
  void sparsePairsSplitByComponentWithoutLoss() {
    List<Comparison> pairs = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      pairs.add(new Comparison("a" + i, "b" + i, T)); // 1000 separate components
    }
    Split s = Split.byImage(pairs, 0.2, 1);
    assertDisjoint(s, 1000);
    assertThat(s.dropped()).isZero();
    assertThat(s.validation()).hasSize(200);
  }

  @Test
  void denseRatingsKeepImagesOnOneSideAndCountDroppedPairs() {
    Simulation sim = Simulation.standard(300, 8, List.of("x"), 1);
    List<Comparison> pairs =
        sim.randomComparisons(IntStream.range(0, 300).toArray(), 3000, new Random(3));
    for (long seed = 0; seed < 5; seed++) {
      Split s = Split.byImage(pairs, 0.2, seed);
      assertDisjoint(s, 3000);
      assertThat(s.dropped()).isPositive(); // one component: some pairs must go
      double share = s.validation().size() / (double) (s.validation().size() + s.train().size());
      assertThat(share).as("validation's share of the pairs kept").isBetween(0.15, 0.25);
      assertThat(s.train().size()).as("more kept than dropped").isGreaterThan(1000);
    }
    assertThat(Split.byImage(pairs, 0.2, 9)).isEqualTo(Split.byImage(pairs, 0.2, 9));
  }

  @Test
  void noFractionKeepsEverythingForTraining() {
    List<Comparison> pairs = List.of(new Comparison("a", "b", T), new Comparison("b", "c", T));
    Split s = Split.byImage(pairs, 0, 1);
    assertThat(s.train()).isEqualTo(pairs);
    assertThat(s.validation()).isEmpty();
  }
}
