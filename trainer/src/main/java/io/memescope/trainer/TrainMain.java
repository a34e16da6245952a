package io.memescope.trainer;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.InvalidConfigException;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.RaterSettings;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code memescope train}: the quality model against the running stack. {@code run} trains on every
 * stored rating (and with {@code --publish} registers the version, announces it to the ingest job
 * and re-scores the index); {@code select} puts the next pairs to rate into a rating queue by
 * active learning; {@code versions} lists what was published; {@code publish} makes a registered
 * version live again.
 */
@Command(
    name = "memescope train",
    mixinStandardHelpOptions = true,
    subcommands = {
      TrainMain.Run.class,
      TrainMain.Select.class,
      TrainMain.Versions.class,
      TrainMain.Publish.class
    },
    description = {
      "The quality model: train it on the ratings and publish it, choose the next pairs to rate,"
          + " list versions.",
      "",
      "  memescope train run --publish      train on every rating, publish, re-score the index",
      "  memescope train select -n 200      queue the most informative pairs for the raters",
      "  memescope train versions           what was published",
      "  memescope train publish VERSION    publish a trained run, or make a registered version"
          + " live again (a rollback)"
    })
public final class TrainMain implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    CommandLine cli = new CommandLine(new TrainMain());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parse) -> {
          commandLine.getErr().println("memescope train: " + describe(e));
          return 1;
        });
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 2;
  }

  /**
   * An error as a user can act on it: a file-system error names the file and what went wrong (its
   * message alone is often just the path).
   */
  static String describe(Exception e) {
    if (e instanceof java.nio.file.FileSystemException f) {
      String what = f.getReason();
      if (what == null) {
        what =
            f instanceof java.nio.file.AccessDeniedException
                ? "permission denied"
                : f instanceof java.nio.file.NoSuchFileException
                    ? "no such file or directory"
                    : f instanceof java.nio.file.FileAlreadyExistsException
                        ? "already exists"
                        : f.getClass().getSimpleName();
      }
      return (f.getFile() != null ? f.getFile() + ": " : "") + what;
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  /** The settings options every subcommand takes (the CLI passes its own on). */
  static final class Settings {
    @Option(names = "--config", paramLabel = "FILE", description = "Settings file (HOCON).")
    Path configFile;

    @Option(names = "--home", paramLabel = "DIR", description = "Setting `home`.")
    Path home;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting.")
    Map<String, String> overrides = new LinkedHashMap<>();

    MemescopeConfig load() {
      try {
        return ConfigLoader.forCommandLine(configFile, home, overrides).load();
      } catch (InvalidConfigException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
  }

  /** Where run directories go unless told: {@code <home>/trainer/runs}. */
  static Path defaultRuns(MemescopeConfig config) {
    return config.home().resolve("trainer").resolve("runs");
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Train a new version on every stored rating, embeddings from the index. Writes"
            + " report.json, learning-curve.png and the model (model.params, model-spec.json)"
            + " into a directory of its own; `train publish VERSION` publishes it later.",
        "With --publish: register it, announce it on the models topic (the running ingest job"
            + " scores new images with it) and start re-scoring the index."
      })
  static final class Run implements Callable<Integer> {
    @Mixin Settings settings;

    @Option(names = "--publish", description = "Publish the version (see above).")
    boolean publish;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description = "Where run directories go (default: <home>/trainer/runs).")
    Path out;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
      MemescopeConfig config = settings.load();
      Path runs = out != null ? out : defaultRuns(config);
      java.nio.file.Files.createDirectories(runs); // an unwritable --out fails now, not after
      try (QualityService service = new QualityService(config)) {
        QualityService.Published p = service.train(runs, publish, !noProgress);
        System.out.println(
            p.published()
                ? "version " + p.version() + " is live"
                : java.nio.file.Files.isRegularFile(p.runDir().resolve(QualityService.MODEL_PARAMS))
                    ? "version "
                        + p.version()
                        + " trained, not published; report and model in "
                        + p.runDir()
                    : "version "
                        + p.version()
                        + " trained, not published and not kept (see above); report in "
                        + p.runDir());
      }
      return 0;
    }
  }

  @Command(
      name = "select",
      mixinStandardHelpOptions = true,
      description =
          "Active learning: sample candidate pairs from the index, rank them by the strategy, keep"
              + " a diverse batch of unrated ones and append it to a rating queue under an"
              + " iteration label.")
  static final class Select implements Callable<Integer> {
    @Mixin Settings settings;

    @Option(
        names = {"-n", "--count"},
        paramLabel = "N",
        description = "Pairs to queue, at least 1 (default: trainer.active.batch-size).")
    Integer count;

    @Option(
        names = "--strategy",
        paramLabel = "NAME",
        description =
            "design, disagreement, uncertainty, information or random (default: trainer.active.strategy).")
    String strategy;

    @Option(
        names = "--queue",
        paramLabel = "NAME",
        description = "The rating queue (default: rater.default-queue).")
    String queue;

    @Option(
        names = "--iteration",
        paramLabel = "LABEL",
        description = "The iteration label (default: al-<time>).")
    String iteration;

    // Not --version: that is the standard option printing the program's version, and picocli
    // drops the standard --help and --version of a command that redefines one of them.
    @Option(
        names = "--model-version",
        paramLabel = "VERSION",
        description = "The model version (default: the newest).")
    String version;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      // What the command line got wrong, before anything is loaded.
      if (count != null && count < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "-n must be at least 1, not " + count);
      }
      if (strategy != null) {
        try {
          ActiveLearning.Strategy.parse(strategy);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--strategy: " + e.getMessage());
        }
      }
      if (queue != null && !RaterSettings.NAME.matcher(queue).matches()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--queue '"
                + queue
                + "' must match "
                + RaterSettings.NAME.pattern()
                + ", as the rater app's queues do");
      }
      if (iteration != null && (iteration.isBlank() || iteration.length() > 100)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--iteration must be 1 to 100 characters, not blank, as the rater app's labels are");
      }
      MemescopeConfig config = settings.load();
      if (count != null && count > config.trainer().activeCandidates()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "-n "
                + count
                + " is more than the "
                + config.trainer().activeCandidates()
                + " candidate pairs a selection ranks (trainer.active.candidates): raise that");
      }
      String label =
          iteration != null
              ? iteration
              : "al-"
                  + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                      .withZone(ZoneOffset.UTC)
                      .format(Instant.now());
      try (QualityService service = new QualityService(config)) {
        service.select(
            queue != null ? queue : config.rater().defaultQueue(),
            label,
            count != null ? count : config.trainer().activeBatchSize(),
            strategy != null ? strategy : config.trainer().activeStrategy(),
            version);
      }
      return 0;
    }
  }

  @Command(
      name = "publish",
      mixinStandardHelpOptions = true,
      description = {
        "Publish a version: a registered one again, or the model a `train run` without --publish"
            + " kept in its run directory. It becomes the newest (live) version, the running"
            + " ingest job scores new images with it, and the index is re-scored with it.",
        "Publishes a run after its report was read, finishes a publication whose announcement or"
            + " re-scoring job failed, or goes back to an older version."
      })
  static final class Publish implements Callable<Integer> {
    @Mixin Settings settings;

    @CommandLine.Parameters(
        index = "0",
        paramLabel = "VERSION",
        description =
            "A version as `memescope train versions` lists it, or a run's version (a bare name,"
                + " looked up under --runs); anything else (., ./q-..., /path/q-...) is the path of"
                + " a run's directory, from the working directory.")
    String version;

    @Option(
        names = "--runs",
        paramLabel = "DIR",
        description = "Where run directories are (default: <home>/trainer/runs, as for run).")
    Path runs;

    @Override
    public Integer call() throws Exception {
      MemescopeConfig config = settings.load();
      try (QualityService service = new QualityService(config)) {
        QualityService.Published p =
            service.publish(version, runs != null ? runs : defaultRuns(config));
        System.out.println("version " + p.version() + " is live");
      }
      return 0;
    }
  }

  @Command(
      name = "versions",
      mixinStandardHelpOptions = true,
      description =
          "The published versions, newest first, with their held-out figures; the live one is"
              + " the one last announced to the ingest job.")
  static final class Versions implements Callable<Integer> {
    @Mixin Settings settings;

    @Override
    public Integer call() throws Exception {
      MemescopeConfig config = settings.load();
      try (QualityService service = new QualityService(config)) {
        QualityRegistry.Listing listing = service.listing();
        List<QualityRegistry.Entry> all = listing.versions();
        listing
            .unreadable()
            .forEach(
                (version, why) ->
                    System.err.println(
                        "memescope train: registry row "
                            + version
                            + " cannot be read ("
                            + why
                            + "): it is left out here, and passed over by publishing, scoring and"
                            + " train select"));
        if (all.isEmpty()) {
          System.out.println("no quality model published yet: memescope train run --publish");
          return 0;
        }
        Optional<String> live;
        try {
          live = Optional.of(service.announced().map(ModelVersion::version).orElse(""));
        } catch (IllegalStateException e) {
          System.err.println(
              "memescope train: " + e.getMessage() + "; which version is live is not known");
          live = Optional.empty();
        }
        lines(all, live).forEach(System.out::println);
      }
      return 0;
    }

    /**
     * The table: every version with its figures, marked {@code (live)} when the ingest job follows
     * it and {@code (not announced)} when it was registered (or published again) after the live one
     * but that publication was not announced, then a hint when the newest is not live.
     *
     * @param live the announced version ("" when none), or empty when the topic could not be read
     */
    static List<String> lines(List<QualityRegistry.Entry> all, Optional<String> live) {
      List<String> out = new ArrayList<>();
      out.add(
          String.format(
              "%-28s %-20s %7s %8s %8s %8s",
              "VERSION", "PUBLISHED", "PAIRS", "ACCURACY", "LOG-LOSS", "ECE"));
      Instant liveAt =
          live.flatMap(v -> all.stream().filter(e -> e.version().equals(v)).findFirst())
              .map(QualityRegistry.Entry::createdAt)
              .orElse(live.isPresent() && live.get().isEmpty() ? Instant.MIN : null);
      for (QualityRegistry.Entry e : all) {
        String mark = "";
        if (live.isPresent() && e.version().equals(live.get())) {
          mark = "  (live)";
        } else if (liveAt != null && e.createdAt().isAfter(liveAt)) {
          mark = "  (not announced)";
        }
        out.add(
            String.format(
                "%-28s %-20s %7d %8s %8s %8s%s",
                e.version(),
                DateTimeFormatter.ISO_INSTANT.format(
                    e.createdAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)),
                e.trainingPairs(),
                figure(e.metrics().get("accuracy")),
                figure(e.metrics().get("log_loss")),
                figure(e.metrics().get("calibration_error")),
                mark));
      }
      String newest = all.get(0).version();
      if (liveAt != null && !newest.equals(live.get())) {
        out.add(
            "the newest version, "
                + newest
                + ", is not live: its last publication failed before announcing it (it may have"
                + " been live before, if that publication was a rollback): `memescope train"
                + " publish "
                + newest
                + "` makes it live");
      }
      return out;
    }

    private static String figure(Double v) {
      return v == null ? "-" : String.format("%.3f", v);
    }
  }
}
