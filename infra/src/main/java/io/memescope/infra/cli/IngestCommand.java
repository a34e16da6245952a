package io.memescope.infra.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.infra.flink.FlinkRestClient;
import io.memescope.infra.flink.IngestJobs;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
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
      IngestCommand.Cancel.class,
      IngestCommand.Retry.class
    })
final class IngestCommand implements Callable<Integer> {
  @ParentCommand Memescope parent;

  @Override
  public Integer call() {
    picocli.CommandLine.usage(this, System.out);
    return 2;
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "State, records per stage, URLs indexed by kind, rejects by reason, and the lag of the"
              + " crawl topic behind the job.")
  static final class Status implements Callable<Integer> {
    @ParentCommand IngestCommand ingest;

    @Override
    public Integer call() throws Exception {
      MemescopeConfig config = ingest.parent.config();
      var job = new IngestJobs(config).running();
      if (job.isEmpty()) {
        System.out.println("ingest: not running (`./memescope up` or `./memescope ingest submit`)");
        return 3;
      }
      String id = job.get().id();
      FlinkRestClient rest = new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(10));
      JsonNode details = rest.jobWithCurrentMetrics(id);
      System.out.printf("ingest: %s, job %s%n", job.get().state(), id);
      // A job that keeps failing and restarting still shows RUNNING between attempts.
      FlinkRestClient.Failures failures = rest.failures(id, 100);
      if (failures.count() > 0) {
        String latest = failures.latest() == null ? "(not recorded)" : failures.latest();
        System.out.printf(
            "  failed and restarted %d%s time(s); the latest: %s%n",
            failures.count(),
            failures.more() ? "+" : "",
            latest.length() > 400 ? latest.substring(0, 397) + "..." : latest);
        System.out.println(
            "  (details in the TaskManager's log: ./memescope logs flink-taskmanager-0)");
      }
      System.out.printf("  %-44s %12s %12s%n", "STAGE", "RECORDS IN", "RECORDS OUT");
      java.util.Map<String, Double> counters = new java.util.TreeMap<>();
      double perSecond = 0;
      for (JsonNode v : details.path("vertices")) {
        JsonNode m = v.path("metrics");
        String name = v.path("name").asText();
        System.out.printf(
            "  %-44s %12d %12d%n",
            name.length() > 44 ? name.substring(0, 41) + "..." : name,
            m.path("read-records").asLong(),
            m.path("write-records").asLong());
        String vid = v.path("id").asText();
        List<String> ids =
            rest.vertexMetricIds(id, vid).stream()
                .filter(
                    n ->
                        n.matches(".*\\.(rejects|indexed|takedowns|quality|models)_[a-z_]+")
                            // The index sink's writer: one record per URL written. (Its
                            // committer gets a summary per checkpoint even when idle.)
                            || n.endsWith("index__Writer.numRecordsInPerSecond"))
                .toList();
        for (var e : rest.vertexMetricSums(id, vid, ids).entrySet()) {
          if (e.getKey().endsWith("numRecordsInPerSecond")) {
            perSecond += e.getValue();
          } else {
            String counter = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            counters.merge(counter, e.getValue(), Double::sum);
          }
        }
      }
      System.out.printf("  index writes now: %.1f URLs/s%n", perSecond);
      if (!counters.isEmpty()) {
        // Flink metrics: they start from zero whenever the job (re)starts.
        System.out.println("  counts since the job's last start or restart:");
      }
      counters.forEach((k, v) -> System.out.printf("  %-30s %10.0f%n", k, v));
      System.out.printf("  lag (crawl records not yet read): %s%n", lagText(config));
      System.out.printf("  quality model: %s%n", qualityModel(config));
      return 0;
    }

    /**
     * The quality model version the job scores new images with: the one announced last on the
     * models topic, read as the job reads it. Until 2026-12-06 this named the newest registered
     * version, which is not followed when its announcement failed; such a version is now named
     * beside it, with the command that announces it.
     */
    static String qualityModel(MemescopeConfig config) {
      Optional<io.memescope.core.quality.ModelVersion> followed;
      try {
        followed =
            io.memescope.core.quality.ModelAnnouncements.read(
                config.kafka(), Duration.ofSeconds(15));
      } catch (RuntimeException e) {
        return "unknown (" + e.getMessage() + ")";
      }
      return modelLine(followed, newestRegistered(config));
    }

    /** The status line for the version {@code followed} and the registry's newest. */
    static String modelLine(
        Optional<io.memescope.core.quality.ModelVersion> followed,
        Optional<io.memescope.core.quality.QualityRegistry.Published> registered) {
      String text =
          followed
              .map(v -> v.version() + " (announced, stamped " + v.createdAt() + ")")
              .orElse("none announced yet (`./memescope train run --publish`)");
      if (registered.isPresent()
          && followed.map(v -> !v.version().equals(registered.get().version())).orElse(true)) {
        String newer = registered.get().version();
        text +=
            "; the newest registered version, "
                + newer
                + ", was not announced (announce it: `./memescope train publish "
                + newer
                + "`)";
      }
      return text;
    }

    /** The registry's newest version; empty when none, or when Cassandra cannot be read. */
    private static Optional<io.memescope.core.quality.QualityRegistry.Published> newestRegistered(
        MemescopeConfig config) {
      try (var session = io.memescope.core.schema.Clients.cassandraKeyspace(config.cassandra())) {
        return new io.memescope.core.quality.QualityRegistry(session).latest();
      } catch (RuntimeException e) {
        return Optional.empty(); // the registry is a note beside the answer, not the answer
      }
    }

    /** The lag, or why it cannot be known (Kafka down: the rest of the status still stands). */
    private static String lagText(MemescopeConfig config) {
      try {
        return Long.toString(lag(config));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "unknown (interrupted)";
      } catch (Exception e) {
        Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
        return "unknown: Kafka at "
            + config.kafka().bootstrapServers()
            + " did not answer ("
            + cause.getClass().getSimpleName()
            + ": "
            + cause.getMessage()
            + "); ./memescope status";
      }
    }

    /** Records of the crawl topic past the job's committed offsets. */
    private static long lag(MemescopeConfig config) throws Exception {
      String topic = config.kafka().topic("crawl-urls").name();
      try (var admin = io.memescope.core.schema.Clients.kafkaAdmin(config.kafka(), 5_000)) {
        var committed =
            admin
                .listConsumerGroupOffsets(config.ingest().jobName())
                .partitionsToOffsetAndMetadata()
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        long lag = 0;
        for (var e :
            io.memescope.core.schema.KafkaTopics.endOffsets(admin, topic, Duration.ofSeconds(10))
                .entrySet()) {
          var c = committed.get(e.getKey());
          lag += e.getValue() - (c == null ? 0 : c.offset());
        }
        return lag;
      }
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
      MemescopeConfig config = ingest.parent.config();
      // The stack's lock, as `up` holds it: two commands submitting at once made two runs.
      try (var lock = new io.memescope.infra.stack.LocalStack(config).hold()) {
        UpCommand.submitIngest(config);
      }
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
      MemescopeConfig config = ingest.parent.config();
      try (var lock = new io.memescope.infra.stack.LocalStack(config).hold()) {
        List<String> cancelled = new IngestJobs(config).cancel();
        System.out.println(
            cancelled.isEmpty()
                ? "ingest: not running"
                : "cancelled job"
                    + (cancelled.size() > 1 ? "s " : " ")
                    + String.join(", ", cancelled));
      }
      return 0;
    }
  }

  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description = {
        "Publish again the URLs the job rejected for a reason that may have passed (by default"
            + " timeout, network, http_status), within a time window, unless indexed meanwhile."
            + " After fixing a setting, name its reason: --reason file_not_allowed.",
        "The job fetches each once more, with the title and page of its crawl record while the"
            + " crawl topic still holds it."
      })
  static final class Retry implements Callable<Integer> {
    @ParentCommand IngestCommand ingest;

    @picocli.CommandLine.Option(
        names = "--reason",
        split = ",",
        paramLabel = "CODE",
        description = "Reject reasons to retry (default: timeout,network,http_status).")
    java.util.List<String> reasons;

    @picocli.CommandLine.Option(
        names = "--since",
        paramLabel = "DURATION",
        defaultValue = "24h",
        description = "How far back to look, e.g. 30m, 24h, 7d (default: 24h).")
    String since;

    @picocli.CommandLine.Option(
        names = "--dry-run",
        description = "Only say what would be published.")
    boolean dryRun;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      java.util.Set<String> codes =
          reasons == null
              ? io.memescope.infra.flink.IngestRetry.TRANSIENT
              : java.util.Set.copyOf(reasons);
      for (String code : codes) {
        if (io.memescope.core.fetch.RejectReason.fromCode(code).isEmpty()
            && !java.util.Set.of("taken_down", "bad_record").contains(code)) {
          throw new picocli.CommandLine.ParameterException(
              spec.commandLine(),
              "--reason: no reject reason '"
                  + code
                  + "'; the reasons are the codes of `ingest status`, e.g. network, timeout");
        }
      }
      Duration window;
      try {
        // HOCON's durations, as in the settings: 30m, 24h, 7d.
        window =
            com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of("d", since))
                .getDuration("d");
        if (window.isNegative() || window.isZero()) {
          throw new IllegalArgumentException("not positive");
        }
      } catch (RuntimeException e) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--since: not a duration such as 30m, 24h or 7d: " + since);
      }
      new io.memescope.infra.flink.IngestRetry(ingest.parent.config(), java.time.Clock.systemUTC())
          .retry(codes, window, dryRun, System.out);
      return 0;
    }
  }
}
