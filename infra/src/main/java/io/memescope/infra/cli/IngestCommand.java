package io.memescope.infra.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.infra.flink.FlinkRestClient;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.stack.StackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code memescope ingest status|submit|cancel}: the ingest job on the session cluster. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = "The ingest job on the Flink session cluster (`up` submits it).",
    subcommands = {
      IngestCommand.Status.class,
      IngestCommand.Submit.class,
      IngestCommand.Cancel.class
    })
final class IngestCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Override
  public Integer call() {
    picocli.CommandLine.usage(this, System.out);
    return 2;
  }

  /** The shaded job jar the build makes. */
  static Path jobJar() {
    Path target = Runtimes.root().resolve("flink-jobs/target");
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith("-job.jar"))
          .findFirst()
          .orElseThrow(() -> new StackException("no job jar in " + target + "; run ./memescope"));
    } catch (IOException e) {
      throw new StackException("no job jar in " + target + "; run ./memescope (it builds)");
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "State and throughput per stage.")
  static final class Status implements Callable<Integer> {
    @ParentCommand IngestCommand ingest;

    @Override
    public Integer call() {
      MemescopeConfig config = ingest.parent.config();
      var job = new IngestJobs(config).running();
      if (job.isEmpty()) {
        System.out.println("ingest: not running (`./memescope up` or `./memescope ingest submit`)");
        return 3;
      }
      FlinkRestClient rest = new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(10));
      JsonNode details = rest.job(job.get().id());
      System.out.printf("ingest: %s, job %s%n", job.get().state(), job.get().id());
      System.out.printf("  %-28s %12s %12s%n", "STAGE", "RECORDS IN", "RECORDS OUT");
      for (JsonNode v : details.path("vertices")) {
        JsonNode m = v.path("metrics");
        System.out.printf(
            "  %-28s %12d %12d%n",
            v.path("name").asText().length() > 28
                ? v.path("name").asText().substring(0, 28)
                : v.path("name").asText(),
            m.path("read-records").asLong(),
            m.path("write-records").asLong());
      }
      return 0;
    }
  }

  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description = "Submit the job unless it runs.")
  static final class Submit implements Callable<Integer> {
    @ParentCommand IngestCommand ingest;

    @Override
    public Integer call() {
      UpCommand.submitIngest(ingest.parent.config());
      return 0;
    }
  }

  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description =
          "Cancel the job; its last checkpoint is kept, and the next submission resumes from it.")
  static final class Cancel implements Callable<Integer> {
    @ParentCommand IngestCommand ingest;

    @Override
    public Integer call() {
      var cancelled = new IngestJobs(ingest.parent.config()).cancel();
      System.out.println(cancelled.map(id -> "cancelled job " + id).orElse("ingest: not running"));
      return 0;
    }
  }
}
