package io.memescope.infra.cli;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.model.ModelFormatException;
import io.memescope.core.model.ModelMetadata;
import io.memescope.core.schema.Schema;
import io.memescope.core.schema.SchemaException;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.infra.stack.LocalStack;
import io.memescope.infra.stack.StackException;
import io.memescope.infra.stack.StackLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Start the local stack (Kafka, Cassandra, Milvus Lite, a Flink session cluster) and apply"
          + " the schema. Healthy running services are reused, so `up` is safe to repeat."
    })
final class UpCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Parameters(
      paramLabel = "SERVICE",
      arity = "0..*",
      description = "Only these services (default: all). See `memescope status`.")
  List<String> services = new ArrayList<>();

  @Option(names = "--no-schema", description = "Do not apply the schema after start.")
  boolean noSchema;

  @Override
  public Integer call() {
    MemescopeConfig config = parent.config();
    LocalStack stack = new LocalStack(config);
    long begin = System.nanoTime();
    Console.line("memescope: local stack in " + StackLayout.show(stack.layout().home()));
    // One lock for the whole command: no down or second up between its steps. Taken before the
    // try: a refusal started nothing, so the advice below does not apply to it.
    LocalStack.Hold lock = stack.hold();
    try (lock) {
      if (services.isEmpty()) {
        report(stack.up(stack.infrastructure(), Console::step));
        if (!noSchema) {
          applySchema(config);
        }
        report(stack.up(stack.applications(), Console::step));
        if (config.ingest().enabled() && !noSchema) {
          submitIngest(config);
        }
      } else {
        report(stack.up(services, Console::step));
      }
    } catch (StackException e) {
      throw new StackException(
          e.getMessage()
              + "\n(services that started are still running; `./memescope down` stops them)");
    } catch (io.memescope.infra.flink.FlinkRestClient.FlinkRestException e) {
      // The ingest job's submission: the services are up, and the advice applies as above.
      throw new StackException(
          "submitting the ingest job: "
              + e.brief()
              + "\n(services that started are still running; `./memescope down` stops them;"
              + " the JobManager's log: `./memescope logs flink-jobmanager`)");
    }
    Console.line(
        "memescope: up in "
            + Console.seconds(java.time.Duration.ofNanos(System.nanoTime() - begin)));
    if (!services.isEmpty()) {
      // Only what was asked for: the addresses below would name services not started.
      Console.line(
          "  started "
              + String.join(", ", services)
              + "; `./memescope status` shows each one's address");
      return 0;
    }
    Console.line("  Flink UI    " + config.flink().restUrl());
    Console.line("  Kafka       " + config.kafka().bootstrapServers());
    Console.line(
        "  Cassandra   "
            + config.cassandra().host()
            + ":"
            + config.cassandra().nativePort()
            + " (keyspace "
            + config.cassandra().keyspace()
            + ")");
    Console.line(
        "  Milvus      "
            + config.milvus().uri()
            + " (collection "
            + config.milvus().collection()
            + ")");
    if (config.crawler().enabled()) {
      Console.line(
          "  Crawler     "
              + config.crawler().sources().size()
              + " source(s) in the settings (all: ./memescope sources list); metrics http://"
              + config.crawler().metricsHost()
              + ":"
              + config.crawler().metricsPort()
              + "/metrics");
    }
    if (config.serving().enabled()) {
      Console.line(
          "  Search      http://"
              + config.serving().host()
              + ":"
              + config.serving().port()
              + "/ (API under /api; admin key "
              + (config.serving().adminKey().isBlank()
                  ? "in " + io.memescope.core.config.ServingSettings.adminKeyFile(config.home())
                  : "from serving.admin-key")
              + ")");
    }
    if (config.rater().enabled()) {
      Console.line(
          "  Rating      http://"
              + config.rater().host()
              + ":"
              + config.rater().port()
              + "/ (first admin: admin, password "
              + (config.rater().adminPassword().isBlank()
                  ? "in " + io.memescope.core.config.RaterSettings.adminPasswordFile(config.home())
                  : "from rater.admin-password")
              + ")");
    }
    modelBanner(config);
    Console.line("Stop it with `./memescope down`; inspect with `./memescope status`.");
    return 0;
  }

  /** Submits the ingest job to the session cluster, or finds it running. */
  static void submitIngest(MemescopeConfig config) {
    long begin = System.nanoTime();
    var submission = new IngestJobs(config).ensureRunning(IngestJobs.jobJar());
    Console.step(
        "ingest",
        (submission.reused()
                ? "reused"
                : "submitted in "
                    + Console.seconds(java.time.Duration.ofNanos(System.nanoTime() - begin))
                    + submission.restoredFrom().map(c -> ", resumed from " + c).orElse(""))
            + "  job "
            + submission.jobId());
  }

  private static void report(List<LocalStack.Started> started) {
    for (LocalStack.Started s : started) {
      Console.step(
          s.service().name(),
          (s.reused() ? "reused" : "ready in " + Console.seconds(s.took()))
              + "  "
              + s.service().endpoint());
    }
  }

  private static void modelBanner(MemescopeConfig config) {
    try {
      ModelMetadata meta = ModelMetadata.read(config.model().dir());
      Console.line(
          "  Model       "
              + meta.name()
              + ", "
              + meta.embeddingDim()
              + " dimensions ("
              + config.model().dir()
              + ")");
      if (meta.tiny()) {
        Console.line(
            "  NOTE: this is the tiny random-weight TEST model: search results are not semantic until a real"
                + " model is installed (./memescope model install ViT-B-32 --pretrained laion2b_s34b_b79k;"
                + " switching needs a new index: README.md, \"The embedding model\").");
      }
    } catch (ModelFormatException e) {
      Console.line("  Model       none: " + e.getMessage());
    }
  }

  private static void applySchema(MemescopeConfig config) {
    try {
      Schema.apply(config).forEach(change -> Console.step("schema", change));
    } catch (SchemaException e) {
      throw e;
    } catch (RuntimeException e) {
      // A store that went away between its readiness probe and the schema step.
      throw new SchemaException("schema could not be applied: " + e.getMessage(), e);
    }
  }
}
