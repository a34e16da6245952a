package io.memescope.trainer.bench;

import io.memescope.core.quality.QualitySpec;
import io.memescope.trainer.Comparison;
import io.memescope.trainer.QualityTrainer;
import io.memescope.trainer.Split;
import io.memescope.trainer.TrainingOptions;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Training throughput on the CPU: pairs per second through forward, backward and Adam step, all
 * members together, for a few model sizes and batch sizes. Prints a markdown table.
 *
 * <pre>java ... io.memescope.trainer.bench.TrainingThroughput [PAIRS] [EPOCHS]</pre>
 */
public final class TrainingThroughput {
  private TrainingThroughput() {}

  public static void main(String[] args) {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<String> dims = List.of("usefulness", "memeness", "aesthetics");
    System.out.println("| embedding D | hidden | members | batch | pairs/s |");
    System.out.println("| --- | --- | --- | --- | --- |");
    for (int dim : new int[] {64, 512}) {
      Simulation sim = Simulation.standard(3000, dim, dims, 1);
      List<Comparison> data =
          sim.randomComparisons(IntStream.range(0, 3000).toArray(), pairs, new Random(1));
      for (List<Integer> hidden : List.of(List.of(64, 32), List.of(256, 64))) {
        for (int batch : new int[] {128, 512}) {
          QualitySpec spec = new QualitySpec(dims, dim, hidden, 5, 0.1);
          TrainingOptions o =
              new TrainingOptions(
                  1e-3, 1e-4, batch, epochs, epochs, 0, 1, TrainingOptions.Resample.NONE, false);
          // one warm-up run, then the measured one
          new QualityTrainer(o.withEpochs(1, 1))
              .train(spec, Split.none(data), sim.embeddingMap(), null)
              .close();
          try (QualityTrainer.Result r =
              new QualityTrainer(o).train(spec, Split.none(data), sim.embeddingMap(), null)) {
            System.out.printf(
                "| %d | %s | 5 | %d | %.0f |%n", dim, hidden, batch, r.report().pairsPerSecond());
          }
        }
      }
    }
  }
}
