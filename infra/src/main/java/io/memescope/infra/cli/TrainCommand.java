package io.memescope.infra.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Unmatched;

/** {@code memescope train}: runs {@code io.memescope.trainer.TrainMain} in its own process. */
@Command(
    name = "train",
    description = {
      "The quality model: train on the ratings (and publish), pick the next pairs to rate by"
          + " active learning, list versions. `memescope train --help` for details."
    })
final class TrainCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    return ModuleLauncher.run(parent, "trainer", "io.memescope.trainer.TrainMain", "train", args);
  }
}
