package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.quality.QualitySpec;
import io.memescope.trainer.bench.Simulation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QualityTrainerTest {
  private static final List<String> DIMS = List.of("usefulness", "memeness");

  @TempDir Path dir;

  @Test
  void withoutAConsoleProgressIsPrintedAsLines() throws IOException {
    // Under surefire there is no console, as when the command's stderr is piped or logged: the
    // bar is not drawn in place, and until 2026-12-06 nothing was printed until the end.
    Simulation sim = Simulation.standard(200, 16, DIMS, 1);
    List<Comparison> pairs =
        sim.randomComparisons(IntStream.range(0, 200).toArray(), 300, new Random(3));
    QualitySpec spec = new QualitySpec(DIMS, 16, List.of(8), 2, 0.0);
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream saved = System.err;
    java.time.Duration every = QualityTrainer.pipedEvery;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    QualityTrainer.pipedEvery = java.time.Duration.ZERO;
    try (QualityTrainer.Result result =
        new QualityTrainer(TrainingOptions.defaults().withProgress(true).withEpochs(5, 5))
            .train(spec, pairs, sim.embeddingMap())) {
      assertThat(result.report().members()).hasSize(2);
    } finally {
      System.setErr(saved);
      QualityTrainer.pipedEvery = every;
    }
    String printed = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(printed).as("a bar redrawn in place").doesNotContain("\r");
    List<String> lines = printed.lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("training") && l.contains("epochs"));
    // The last line says where it ended: every epoch run (early stopping may skip the rest).
    assertThat(lines.get(lines.size() - 1)).startsWith("training").contains("100%");
    for (int i = 1; i < lines.size(); i++) {
      assertThat(lines.get(i)).as("line %d printed again", i).isNotEqualTo(lines.get(i - 1));
    }
  }

  @Test
  void trainingOnASmallSimulatedSetRanksHeldOutImages() throws IOException {
    Simulation sim = Simulation.standard(1200, 32, DIMS, 1);
    int[] trainImages = IntStream.range(0, 900).toArray();
    int[] testImages = IntStream.range(900, 1200).toArray();
    Random r = new Random(2);
    List<Comparison> pairs = sim.randomComparisons(trainImages, 1500, r);
    QualitySpec spec = new QualitySpec(DIMS, 32, List.of(64, 32), 3, 0.1);
    TrainingOptions options = TrainingOptions.defaults().withProgress(false).withEpochs(60, 8);
    long t0 = System.nanoTime();
    try (QualityTrainer.Result result =
        new QualityTrainer(options).train(spec, pairs, sim.embeddingMap())) {
      TrainingReport report = result.report();
      int[][] testPairs = new int[2000][];
      for (int i = 0; i < testPairs.length; i++) {
        int a = r.nextInt(testImages.length);
        int b = (a + 1 + r.nextInt(testImages.length - 1)) % testImages.length;
        testPairs[i] = new int[] {a, b};
      }
      float[][] scores = result.model().scores(sim.embeddings(testImages));
      double acc = sim.trueAccuracy(testImages, scores, testPairs);
      System.out.printf(
          "true acc %.3f, val acc %.3f, log loss %.3f, ece %.3f, train %d val %d dropped %d,"
              + " %.0f pairs/s, %.1f s, epochs %s%n",
          acc,
          report.metric("accuracy"),
          report.metric("log_loss"),
          report.metric("calibration_error"),
          report.trainPairs(),
          report.validationPairs(),
          report.droppedPairs(),
          report.pairsPerSecond(),
          (System.nanoTime() - t0) / 1e9,
          report.members().stream().map(m -> m.trainLoss().size() + "/" + m.bestEpoch()).toList());
      // The stated bar: 1500 noisy ratings of 900 images rank unseen images right 80 % of the time
      // (an untrained model: 50 %; this setup reaches about 0.84).
      assertThat(acc).isGreaterThan(0.8);
      assertThat(report.metric("accuracy")).isGreaterThan(0.7);
      assertThat(report.trainPairs() + report.validationPairs() + report.droppedPairs())
          .isEqualTo(1500);
      assertThat(report.members()).hasSize(3);
      // Numbered from 1, as the progress bar and messages number them.
      assertThat(report.members())
          .extracting(TrainingReport.MemberCurve::member)
          .containsExactly(1, 2, 3);
      for (TrainingReport.MemberCurve m : report.members()) {
        assertThat(m.validationLoss().get(m.bestEpoch() - 1))
            .isCloseTo(
                m.validationLoss().stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                org.assertj.core.data.Offset.offset(1e-4));
      }
      report.writeJson(dir.resolve("report.json"));
      assertThat(TrainingReport.readJson(dir.resolve("report.json")).members())
          .isEqualTo(report.members());
      LearningCurve.write(report, dir.resolve("curve.png"));
      byte[] png = Files.readAllBytes(dir.resolve("curve.png"));
      assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
  }

  @Test
  void refittingOnEveryPairUsesTheRatingsTheSplitLeftOutAndRanksUnseenImagesBetter() {
    // Dense ratings: 600 pairs among 150 images form one connected group, so the split by image
    // holds out about 11 % of them and leaves out about 44 % (an image on each side).
    Simulation sim = Simulation.standard(450, 32, DIMS, 7);
    int[] rated = IntStream.range(0, 150).toArray();
    int[] unseen = IntStream.range(150, 450).toArray();
    Random r = new Random(8);
    List<Comparison> pairs = sim.randomComparisons(rated, 600, r);
    QualitySpec spec = new QualitySpec(DIMS, 32, List.of(32), 3, 0.1);
    QualityTrainer trainer =
        new QualityTrainer(TrainingOptions.defaults().withProgress(false).withEpochs(60, 8));
    int[][] testPairs = new int[3000][];
    for (int i = 0; i < testPairs.length; i++) {
      int a = r.nextInt(unseen.length);
      testPairs[i] = new int[] {a, (a + 1 + r.nextInt(unseen.length - 1)) % unseen.length};
    }
    try (QualityTrainer.Result heldOut = trainer.train(spec, pairs, sim.embeddingMap());
        QualityTrainer.Result refit =
            trainer.refit(spec, pairs, sim.embeddingMap(), heldOut.report())) {
      TrainingReport before = heldOut.report();
      assertThat(before.droppedPairs()).as("the premise: many pairs left out").isGreaterThan(150);
      assertThat(before.refitPairs()).isZero();
      TrainingReport after = refit.report();
      assertThat(after.refitPairs()).isEqualTo(600);
      assertThat(after.metrics()).as("the held-out figures stay").isEqualTo(before.metrics());
      assertThat(after.members()).isEqualTo(before.members());
      double accBefore =
          sim.trueAccuracy(unseen, heldOut.model().scores(sim.embeddings(unseen)), testPairs);
      double accAfter =
          sim.trueAccuracy(unseen, refit.model().scores(sim.embeddings(unseen)), testPairs);
      System.out.printf(
          "train %d, held out %d, left out %d: unseen images ranked %.3f, after the refit on %d"
              + " %.3f%n",
          before.trainPairs(),
          before.validationPairs(),
          before.droppedPairs(),
          accBefore,
          after.refitPairs(),
          accAfter);
      assertThat(accAfter).isGreaterThan(accBefore + 0.01);
    }
  }

  @Test
  void aNonFiniteEmbeddingIsRefusedNamingTheImage() {
    Simulation sim = Simulation.standard(200, 8, DIMS, 3);
    List<Comparison> pairs =
        sim.randomComparisons(IntStream.range(0, 200).toArray(), 300, new Random(4));
    Map<String, float[]> embeddings = sim.embeddingMap();
    String broken = pairs.get(0).leftId();
    float[] e = embeddings.get(broken).clone();
    e[5] = Float.NaN;
    embeddings.put(broken, e);
    QualitySpec spec = new QualitySpec(DIMS, 8, List.of(8), 2, 0.0);
    TrainingOptions options = TrainingOptions.defaults().withProgress(false).withEpochs(3, 2);
    assertThatThrownBy(() -> new QualityTrainer(options).train(spec, pairs, embeddings).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("embedding of " + broken)
        .hasMessageContaining("non-finite value (NaN) at position 5");
  }

  @Test
  void aSplitThatDropsEveryPairSaysSoNotThatEmbeddingsAreMissing() {
    // Two images: one is held out, the other trains, and every pair has one on each side.
    Simulation sim = Simulation.standard(2, 8, DIMS, 7);
    List<Comparison> pairs = sim.randomComparisons(new int[] {0, 1}, 5, new Random(8));
    QualitySpec spec = new QualitySpec(DIMS, 8, List.of(8), 2, 0.0);
    TrainingOptions options = TrainingOptions.defaults().withProgress(false).withEpochs(3, 2);
    assertThatThrownBy(
            () -> new QualityTrainer(options).train(spec, pairs, sim.embeddingMap()).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the split by image left no pairs to train on")
        .hasMessageContaining("5 with an image on each side")
        .hasMessageContaining("trainer.validation-fraction");
  }

  @Test
  void trainingThatDivergesStopsWithAClearErrorInsteadOfKeepingNaNWeights() {
    Simulation sim = Simulation.standard(200, 8, DIMS, 5);
    List<Comparison> pairs =
        sim.randomComparisons(IntStream.range(0, 200).toArray(), 300, new Random(6));
    // Finite but so large that the scores overflow: the loss is not finite from the first step.
    Map<String, float[]> embeddings = new java.util.HashMap<>();
    sim.embeddingMap()
        .forEach(
            (id, v) -> {
              float[] big = new float[v.length];
              for (int i = 0; i < v.length; i++) {
                big[i] = v[i] * 3e38f;
              }
              embeddings.put(id, big);
            });
    QualitySpec spec = new QualitySpec(DIMS, 8, List.of(8), 2, 0.0);
    TrainingOptions options = TrainingOptions.defaults().withProgress(false).withEpochs(3, 2);
    assertThatThrownBy(() -> new QualityTrainer(options).train(spec, pairs, embeddings).close())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("training diverged: member 1's training loss is not finite")
        .hasMessageContaining("trainer.learning-rate");
  }

  @Test
  void a_bootstrapped_member_keeps_its_resample_for_every_epoch_and_shuffles_it() {
    int n = 200;
    QualityTrainer.EpochOrder member =
        new QualityTrainer.EpochOrder(n, TrainingOptions.Resample.MEMBER, new Random(1));
    int[] first = member.next();
    int[] second = member.next();
    assertThat(first).isNotEqualTo(second);
    assertThat(java.util.Arrays.stream(first).sorted().toArray())
        .as("the same resample, in another order")
        .isEqualTo(java.util.Arrays.stream(second).sorted().toArray());
    assertThat(java.util.Arrays.stream(first).distinct().count())
        .as("a resample with replacement: about 63 %% of the pairs")
        .isBetween(100L, 150L);

    QualityTrainer.EpochOrder epoch =
        new QualityTrainer.EpochOrder(n, TrainingOptions.Resample.EPOCH, new Random(1));
    assertThat(java.util.Arrays.stream(epoch.next()).sorted().toArray())
        .isNotEqualTo(java.util.Arrays.stream(epoch.next()).sorted().toArray());

    QualityTrainer.EpochOrder all =
        new QualityTrainer.EpochOrder(n, TrainingOptions.Resample.NONE, new Random(1));
    assertThat(all.next()).containsExactlyInAnyOrder(IntStream.range(0, n).toArray());
  }
}
