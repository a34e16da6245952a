package io.memescope.trainer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.records.Json;
import io.memescope.trainer.ActiveLearning;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActiveLearningBenchmarkTest {
  @TempDir Path dir;

  private Map<String, String> tiny(String... extra) {
    Map<String, String> args = new LinkedHashMap<>();
    args.put("seeds", "2");
    args.put("images", "400");
    args.put("dim", "16");
    args.put("full", "400");
    args.put("full-epochs", "10");
    args.put("members", "2");
    args.put("initial", "10");
    args.put("batch", "10");
    args.put("candidates", "2000");
    args.put("steps", "20");
    args.put("epochs", "1");
    args.put("out", dir.toString());
    args.put("png", dir.resolve("chart.png").toString());
    for (int i = 0; i < extra.length; i += 2) {
      args.put(extra[i], extra[i + 1]);
    }
    return args;
  }

  /**
   * stop=bars ends each run on the round whose accuracy first reaches the chance-adjusted bar (or
   * at the budget), so the labels to both bars are still first crossings; and it draws a picture.
   */
  @Test
  void stopAtBarsEndsEachRunAtTheFirstCrossingOfTheLaterBar() throws Exception {
    // two runs of one seed each, side by side as on two cores, then joined by merge=
    for (String seed : new String[] {"1000", "1001"}) {
      new ActiveLearningBenchmark(
              tiny(
                  "budget",
                  "400",
                  "stop",
                  "bars",
                  "seeds",
                  "1",
                  "first-seed",
                  seed,
                  "out",
                  dir.resolve(seed).toString()))
          .run();
    }
    String parts = dir.resolve("1000/results.json") + "," + dir.resolve("1001/results.json");
    ActiveLearningBenchmark.merge(tiny("merge", parts));

    JsonNode results = Json.mapper().readTree(dir.resolve("results.json").toFile());
    assertThat(results.path("settings").path("stop").asText()).isEqualTo("bars");
    assertThat(results.path("settings").path("seeds").asInt()).isEqualTo(2);
    assertThat(results.path("fullAccuracy")).hasSize(2);
    JsonNode curves = results.path("curves");
    assertThat(curves).hasSize(4); // two seeds, random and design
    int stoppedEarly = 0;
    for (JsonNode curve : curves) {
      int seed = curve.path("seed").asInt() - 1000;
      double later =
          ActiveLearningBenchmark.chanceAdjustedBar(
              results.path("fullAccuracy").get(seed).asDouble());
      JsonNode acc = curve.path("accuracy");
      JsonNode labels = curve.path("labels");
      int last = acc.size() - 1;
      for (int i = 0; i < last; i++) {
        assertThat(acc.get(i).asDouble()).as("before the last round").isLessThan(later);
      }
      if (labels.get(last).asInt() < 400) {
        assertThat(acc.get(last).asDouble()).isGreaterThanOrEqualTo(later);
        stoppedEarly++;
      }
      String strategy = curve.path("strategy").asText();
      double toLater =
          results.path("labelsTo90ChanceAdjusted").path(strategy).get(seed).asDouble(Double.NaN);
      double toIssue = results.path("labelsTo90").path(strategy).get(seed).asDouble(Double.NaN);
      if (!Double.isNaN(toLater)) {
        assertThat(toLater)
            .isBetween(labels.get(Math.max(0, last - 1)).asDouble(), labels.get(last).asDouble());
        assertThat(toIssue).isLessThanOrEqualTo(toLater);
      }
    }
    assertThat(stoppedEarly).as("runs that reached the later bar before the budget").isPositive();
    assertThat(Files.size(dir.resolve("chart.png"))).isGreaterThan(1000);
  }

  @Test
  void mergeRefusesASeedTwiceAndRunsWithOtherSettings() throws Exception {
    new ActiveLearningBenchmark(
            tiny("seeds", "1", "budget", "20", "out", dir.resolve("a").toString()))
        .run();
    new ActiveLearningBenchmark(
            tiny(
                "seeds",
                "1",
                "first-seed",
                "1001",
                "budget",
                "30",
                "out",
                dir.resolve("b").toString()))
        .run();
    String a = dir.resolve("a/results.json").toString();
    String b = dir.resolve("b/results.json").toString();
    assertThatThrownBy(() -> ActiveLearningBenchmark.merge(tiny("merge", a + "," + a)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("seed 1000 is in two");
    assertThatThrownBy(() -> ActiveLearningBenchmark.merge(tiny("merge", a + "," + b)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("budget 20 and 30");
  }

  /**
   * Each strategy can be retrained on its own schedule: random pairs on steps, the other on
   * active-steps.
   */
  @Test
  void activeStepsSetTheActiveStrategysScheduleAlone() {
    ActiveLearningBenchmark b =
        new ActiveLearningBenchmark(tiny("steps", "30", "active-steps", "60", "epochs", "1"));
    assertThat(b.roundEpochs(64, ActiveLearning.Strategy.RANDOM)).isEqualTo(30);
    assertThat(b.roundEpochs(64, ActiveLearning.Strategy.DESIGN)).isEqualTo(60);
    assertThat(b.roundEpochs(640, ActiveLearning.Strategy.DESIGN)).isEqualTo(6); // 60 steps of 64
    ActiveLearningBenchmark same = new ActiveLearningBenchmark(tiny("steps", "30", "epochs", "5"));
    assertThat(same.roundEpochs(64, ActiveLearning.Strategy.DESIGN)).isEqualTo(30);
    assertThat(same.roundEpochs(640, ActiveLearning.Strategy.RANDOM)).isEqualTo(5); // the floor
  }

  @Test
  void stopAtBarsNeedsTheRandomBaselineAndAKnownValue() {
    assertThatThrownBy(() -> new ActiveLearningBenchmark(tiny("stop", "bars", "baseline", "false")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("baseline=true");
    assertThatThrownBy(() -> new ActiveLearningBenchmark(tiny("stop", "soon")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("budget or bars");
  }
}
