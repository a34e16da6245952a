package io.memescope.core.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.records.Json;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QualityModelTest {
  private static final QualitySpec SPEC =
      new QualitySpec(List.of("usefulness", "memeness", "aesthetics"), 16, List.of(12, 8), 3, 0.1);

  static float[][] embeddings(int n, int dim, long seed) {
    Random r = new Random(seed);
    float[][] out = new float[n][dim];
    for (float[] row : out) {
      for (int d = 0; d < dim; d++) {
        row[d] = (float) r.nextGaussian();
      }
    }
    return out;
  }

  @Test
  void the_parameter_count_is_that_of_the_members_blocks() {
    try (QualityModel model = QualityModel.create(SPEC, 7)) {
      long counted = 0;
      for (int i = 0; i < model.size(); i++) {
        for (var p : model.member(i).getBlock().getParameters()) {
          counted += p.getValue().getArray().size();
        }
      }
      // 16·12+12 + 12·8+8 + 8·3+3 = 335 per member, three members.
      assertThat(SPEC.parameterCount()).isEqualTo(counted).isEqualTo(3 * 335);
      // The saved bytes: float32 each, and a little framing.
      assertThat((long) model.save().length).isBetween(counted * 4, counted * 4 + 4096);
    }
  }

  @Test
  void shapesAreMemberImageDimension() {
    try (QualityModel model = QualityModel.create(SPEC, 7)) {
      float[][][] s = model.memberScores(embeddings(5, 16, 1));
      assertThat(s).hasDimensions(3, 5);
      assertThat(s[0][0]).hasSize(3);
      float[][] mean = model.scores(embeddings(5, 16, 1));
      assertThat(mean).hasDimensions(5, 3);
      for (int d = 0; d < 3; d++) {
        assertThat(mean[2][d]).isCloseTo((s[0][2][d] + s[1][2][d] + s[2][2][d]) / 3, within());
      }
    }
  }

  @Test
  void membersDifferAndSeedsReproduce() {
    float[][] x = embeddings(4, 16, 2);
    try (QualityModel a = QualityModel.create(SPEC, 7);
        QualityModel b = QualityModel.create(SPEC, 7)) {
      float[][][] sa = a.memberScores(x);
      assertThat(sa[0][0]).isNotEqualTo(sa[1][0]);
      assertThat(sa[1][0]).isNotEqualTo(sa[2][0]);
      assertThat(b.memberScores(x)).isDeepEqualTo(sa);
    }
  }

  @Test
  void saveAndLoadGiveIdenticalScores() throws IOException {
    float[][] x = embeddings(50, 16, 3);
    try (QualityModel model = QualityModel.create(SPEC, 11)) {
      byte[] blob = model.save();
      QualitySpec spec = Json.read(Json.write(SPEC), QualitySpec.class);
      assertThat(spec).isEqualTo(SPEC);
      try (QualityModel loaded = QualityModel.load(spec, blob)) {
        assertThat(loaded.memberScores(x)).isDeepEqualTo(model.memberScores(x));
        assertThat(loaded.save()).isEqualTo(blob);
      }
    }
  }

  @Test
  void scoringFromSeveralThreadsAtOnceGivesTheSameScores() throws Exception {
    float[][] x = embeddings(300, 16, 9);
    try (QualityModel model = QualityModel.create(SPEC, 13)) {
      float[][][] expected = model.memberScores(x);
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        List<java.util.concurrent.Future<float[][][]>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
          futures.add(pool.submit(() -> model.memberScores(x)));
        }
        for (var f : futures) {
          assertThat(f.get()).isDeepEqualTo(expected);
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void loadRejectsParametersOfAnotherShape() {
    byte[] blob;
    try (QualityModel model = QualityModel.create(SPEC, 11)) {
      blob = model.save();
    }
    QualitySpec wider =
        new QualitySpec(SPEC.dimensions(), 32, SPEC.hidden(), SPEC.members(), SPEC.dropout());
    assertThatThrownBy(() -> QualityModel.load(wider, blob)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> QualityModel.load(SPEC, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
        .isInstanceOf(IOException.class);
  }

  @Test
  void winProbabilityIsSigmoidOfScoreDifference() {
    double[] p = QualityModel.fromScores(new float[] {2f, 0f}, new float[] {0f, 0f});
    assertThat(p[0]).isCloseTo(1 / (1 + Math.exp(-2)), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(p[1]).isEqualTo(0.5);
    try (QualityModel model = QualityModel.create(SPEC, 5)) {
      float[][] x = embeddings(2, 16, 4);
      double[] ab = model.winProbabilities(x[0], x[1]);
      double[] ba = model.winProbabilities(x[1], x[0]);
      for (int d = 0; d < 3; d++) {
        assertThat(ab[d] + ba[d]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  private static org.assertj.core.data.Offset<Float> within() {
    return org.assertj.core.data.Offset.offset(1e-5f);
  }
}
