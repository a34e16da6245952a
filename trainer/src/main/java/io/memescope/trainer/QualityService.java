package io.memescope.trainer;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.TrainerSettings;
import io.memescope.core.quality.QualityModel;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.quality.ScoreQuantiles;
import io.memescope.core.rating.PairKey;
import io.memescope.core.rating.RatingQueue;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.trainer.data.IndexEmbeddings;
import io.memescope.trainer.data.ModelPublisher;
import io.memescope.trainer.data.StoredRatings;
import io.memescope.trainer.data.TrainerLease;
import io.milvus.v2.client.MilvusClientV2;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code memescope train} does, against the running stack: train the quality model on the
 * stored ratings with embeddings from the index, publish a version (registry, models topic, the
 * re-scoring job), and choose the next pairs to rate by active learning.
 */
public final class QualityService implements AutoCloseable {
  private final MemescopeConfig config;
  private final TrainerSettings settings;
  private final CqlSession session;

  /** Opened on first use: {@code versions} and the registry's checks need no Milvus. */
  private MilvusClientV2 milvus;

  private final PrintStream out;

  /**
   * A training run's or a publication's outcome. {@code runDir} and {@code report} are null when a
   * registered version was published again; {@code rescoreJob} is null when the settings start no
   * re-scoring ({@code trainer.rescore}) or the version was not published.
   */
  public record Published(
      String version, Path runDir, TrainingReport report, boolean published, String rescoreJob) {}

  /** Pairs put into a rating queue. */
  public record Selection(
      String queue, String iteration, String version, List<ActiveLearning.Selection> pairs) {}

  public QualityService(MemescopeConfig config) {
    this(config, config.trainer(), System.out);
  }

  public QualityService(MemescopeConfig config, TrainerSettings settings, PrintStream out) {
    this.config = config;
    this.settings = settings;
    this.out = out;
    this.session = Clients.cassandraKeyspaceForCommandLine(config.cassandra());
  }

  /**
   * The Milvus client, connected on first use. Until 2026-12-06 every command connected at once, so
   * {@code train versions} failed with the SDK's error while Milvus was down, though it reads only
   * Cassandra and Kafka.
   */
  private MilvusClientV2 milvus() {
    if (milvus == null) {
      try {
        milvus = Clients.milvus(config.milvus());
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "Milvus at "
                + config.milvus().uri()
                + " does not answer ("
                + e.getMessage()
                + "); start the stack with ./memescope up",
            e);
      }
    }
    return milvus;
  }

  /**
   * What publishing needs besides Cassandra and Milvus: Kafka's models topic, and with {@code
   * trainer.rescore} the job jar and Flink; {@code refused} starts the message when one is missing.
   * Checked before training: until 2026-12-06 a missing one was found after the whole run, and the
   * trained version was thrown away.
   */
  void checkCanPublish(String refused) {
    String topic = config.kafka().topic("models").name();
    io.memescope.core.schema.KafkaTopics.TopicCheck found;
    try {
      found =
          io.memescope.core.schema.KafkaTopics.check(config.kafka(), topic, Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking Kafka", e);
    } catch (RuntimeException e) {
      found =
          new io.memescope.core.schema.KafkaTopics.TopicCheck(
              io.memescope.core.schema.KafkaTopics.TopicCheck.Status.NOT_ANSWERING, e);
    }
    Throwable cause = found.failure();
    switch (found.status()) {
      case PRESENT -> {}
      case NO_TOPIC ->
          throw new IllegalStateException(
              refused
                  + ": publishing announces the version on Kafka's topic "
                  + topic
                  + ", which does not exist at "
                  + config.kafka().bootstrapServers()
                  + " (kafka.topics.models); ./memescope up makes the topics",
              cause);
      case NOT_ANSWERING ->
          throw new IllegalStateException(
              refused
                  + ": publishing announces the version on Kafka's topic "
                  + topic
                  + " at "
                  + config.kafka().bootstrapServers()
                  + ", which cannot be reached ("
                  + (cause.getMessage() == null
                      ? cause.getClass().getSimpleName()
                      : cause.getMessage())
                  + "); start the stack with ./memescope up",
              cause);
    }
    if (!settings.rescore()) {
      return;
    }
    try {
      IngestJobs.jobJar();
      new IngestJobs(config).running();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          refused
              + ": publishing starts re-scoring the index in Flink at "
              + config.flink().restUrl()
              + ", which cannot be done ("
              + (e instanceof io.memescope.infra.flink.FlinkRestClient.FlinkRestException f
                  ? f.brief()
                  : e.getMessage())
              + "); start the stack with ./memescope up, or set trainer.rescore = false",
          e);
    }
  }

  /**
   * Trains a new version on every stored rating.
   *
   * @param runs where each run's directory (report.json, learning-curve.png, and the model a run
   *     keeps: model-spec.json, model.params) goes
   * @param publish register and announce it, and start re-scoring the index
   * @param progress draw a progress bar
   */
  public Published train(Path runs, boolean publish, boolean progress) throws Exception {
    // Why the trained model could not be published, found on the way: with publish each is an
    // error, without it a warning, and a model with one is not kept in its run folder.
    List<String> unpublishable = new ArrayList<>();
    if (publish) {
      checkCanPublish("not trained, since it could not be published");
    }
    List<String> dimensions = config.rater().dimensions();
    List<StoredRatings.Rating> ratings = new StoredRatings(session).all();
    List<Comparison> comparisons = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    int oneImage = 0;
    int noScore = 0;
    int offScale = 0;
    for (StoredRatings.Rating r : ratings) {
      if (r.left().equals(r.right())) {
        oneImage++;
        continue;
      }
      Comparison c;
      try {
        c = Comparison.fromScores(r.left(), r.right(), dimensions, r.scores());
      } catch (IllegalArgumentException e) {
        // A score off the five-point scale: the rater app refuses those, so only a row written by
        // hand gets here. Named, and left out rather than failing the run.
        offScale++;
        out.printf(
            "left out: the rating of %s against %s by %s: %s%n",
            r.left(), r.right(), r.rater(), e.getMessage());
        continue;
      }
      if (c.hasTarget()) {
        comparisons.add(c);
        ids.add(r.left());
        ids.add(r.right());
      } else {
        noScore++; // scores only for dimensions no longer rated (rater.dimensions changed)
      }
    }
    String leftOut =
        String.format(
            "%d with no score on the dimensions rated now (%s), %d of one image against itself,"
                + " %d off the scale",
            noScore, String.join(", ", dimensions), oneImage, offScale);
    if (comparisons.size() < settings.minRatings()) {
      // Said before Milvus is asked: with too few ratings it need not be up (until 2026-12-07 a
      // Milvus away was the error, not the ratings).
      if (noScore + oneImage + offScale > 0) {
        out.printf("left out: %s%n", leftOut);
      }
      throw tooFewRatings(comparisons.size());
    }
    out.printf(
        "%d ratings on %d images; reading their embeddings from Milvus%n",
        comparisons.size(), ids.size());
    IndexEmbeddings index = new IndexEmbeddings(milvus(), config.milvus().collection());
    Map<String, float[]> embeddings = comparisons.isEmpty() ? Map.of() : index.fetch(ids);
    // Ratings of an image taken down since (its vector is gone) cannot be trained on: they are
    // left out before the minimum is checked, so that the minimum is what training gets.
    List<Comparison> usable = new ArrayList<>();
    for (Comparison c : comparisons) {
      if (embeddings.containsKey(c.leftId()) && embeddings.containsKey(c.rightId())) {
        usable.add(c);
      }
    }
    int gone = comparisons.size() - usable.size();
    if (gone + noScore + oneImage + offScale > 0) {
      out.printf("left out: %d rating(s) of an image no longer in the index, %s%n", gone, leftOut);
    }
    if (usable.isEmpty() && !comparisons.isEmpty()) {
      throw new IllegalStateException(
          "none of the "
              + comparisons.size()
              + " rated pairs has both images in the index any more; rate pairs of indexed"
              + " images first");
    }
    if (usable.size() < settings.minRatings()) {
      throw tooFewRatings(usable.size());
    }
    // All rated pairs go on to the trainer, which leaves out the same ones and counts them in the
    // report (missingEmbeddings): handed only the usable ones, it reported 0 (until 2026-12-07).
    List<String> thin = thinDimensions(dimensions, usable);
    if (!thin.isEmpty()) {
      // A dimension no rating scores (one just added to rater.dimensions) trains nothing: its
      // output keeps its random start, and its quantiles spread that noise over [0, 1], a share of
      // every image's quality. Its accuracy is NaN, and was dropped without a word.
      String why =
          "too few rated pairs on "
              + String.join(", ", thin)
              + " for trainer.min-ratings ("
              + settings.minRatings()
              + "): a dimension's scores are noise until it has them";
      if (publish) {
        throw new IllegalStateException(
            "not published: "
                + why
                + "; rate pairs on it, or take it out of rater.dimensions, first");
      }
      out.printf("warning: %s%n", why);
      unpublishable.add(why);
    }
    int dim = embeddings.values().iterator().next().length;
    if (publish) {
      // The sample publishing takes for the score percentiles, checked before training rather
      // than after it (as sampling checks it again, from the vectors it reads).
      IndexEmbeddings.checkMemory(
          Math.min(settings.quantileSample(), index.size()),
          dim,
          "trainer.quantile-sample",
          Runtime.getRuntime().maxMemory());
    }
    QualitySpec spec = settings.spec(dimensions, dim);
    long bytes = spec.parameterCount() * Float.BYTES;
    if (bytes > MAX_PARAMETER_BYTES) {
      // Found before training, not after it: the registry row would be over Cassandra's largest
      // mutation (16 MiB by default), and the write refused at the end of the run.
      String why =
          String.format(
              "its parameters would take %.1f MiB, over the %d MiB one registry row holds:"
                  + " lower trainer.hidden %s or trainer.members %d",
              bytes / 1048576.0, MAX_PARAMETER_BYTES >> 20, spec.hidden(), spec.members());
      if (publish) {
        throw new IllegalStateException("this model cannot be published: " + why);
      }
      out.printf("warning: this model could not be published: %s%n", why);
      unpublishable.add(why);
    }
    TrainingOptions options =
        TrainingOptions.from(settings).withProgress(progress && settings.progress());
    Instant now = Instant.now();
    String version = QualityRegistry.newVersion(now);
    Path dir = runs.resolve(version);
    try (RunFolder folder = RunFolder.open(dir)) {
      try (QualityTrainer.Result result =
          new QualityTrainer(options).train(spec, comparisons, embeddings)) {
        TrainingReport report = result.report();
        writing(dir.resolve("report.json"), version, report::writeJson);
        TrainingReport trained = report;
        writing(
            dir.resolve("learning-curve.png"), version, png -> LearningCurve.write(trained, png));
        out.printf(
            "trained %s: %d training and %d validation pairs, held-out accuracy %.3f, log loss %.3f,"
                + " calibration error %.3f; report in %s%n",
            version,
            report.trainPairs(),
            report.validationPairs(),
            report.metric("accuracy"),
            report.metric("log_loss"),
            report.metric("calibration_error"),
            dir);
        for (String dimension : dimensions) {
          if (report.validationPairs() > 0
              && Double.isNaN(report.metric("accuracy." + dimension))) {
            // No decided pair of it was held out (all ties, or none on that side of the split):
            // the published metrics left it out without a word until 2026-12-07.
            out.printf(
                "warning: no held-out pair decides on %s, so %s's accuracy on it is unknown%n",
                dimension, version);
          }
        }
        if (report.validationPairs() == 0 && settings.validationFraction() > 0) {
          // Nothing was held out (every pair's images joined to the training side): no early
          // stopping, and no figure says whether the model is any good.
          out.printf(
              "warning: the split by image held out no pair, so %s was trained without early"
                  + " stopping and its accuracy is unknown%n",
              version);
          if (publish) {
            throw new IllegalStateException(
                version
                    + " is not published: no pair was held out to measure it (report in "
                    + dir
                    + "); rate more pairs, or set trainer.validation-fraction = 0 to publish"
                    + " models trained on every pair");
          }
          unpublishable.add("no pair was held out to measure it");
        }
        if (report.validationPairs() > 0 && Double.isNaN(report.metric("accuracy"))) {
          if (publish) {
            throw new IllegalStateException(
                version
                    + " is not published: every held-out pair is a tie, so its accuracy is unknown"
                    + " (report in "
                    + dir
                    + "); rate more pairs first");
          }
          unpublishable.add("every held-out pair is a tie, so its accuracy is unknown");
        }
        if (!unpublishable.isEmpty()) {
          // Kept, it could be published later (`train publish`) past the checks that refuse it
          // now; the report stays to be read.
          return notKept(version, dir, report, String.join("; ", unpublishable));
        }
        QualityTrainer.Result refit = null;
        if (settings.refit() && report.validationPairs() + report.droppedPairs() > 0) {
          out.printf(
              "training %s again on all %d usable pairs, each member for the epochs early stopping"
                  + " chose (trainer.refit)%n",
              version, usable.size());
          refit = new QualityTrainer(options).refit(spec, comparisons, embeddings, report);
        }
        try (QualityTrainer.Result closing = refit) {
          if (refit != null) {
            report = refit.report();
            writing(dir.resolve("report.json"), version, report::writeJson);
          }
          QualityModel model = refit != null ? refit.model() : result.model();
          // The model that publishing takes, kept whether or not it is published now: a run
          // trained to read its report first is published later as it is (`train publish`).
          // Until 2026-12-07 a run without --publish kept no model, and publishing meant
          // training anew.
          byte[] params = model.save();
          if (params.length > MAX_SAVED_BYTES) {
            // Measured as saved, as `train publish` measures a kept model. The estimate checked
            // before training keeps a model well under this (the framing is a few KiB): this is
            // the backstop, not a second, stricter limit.
            String why =
                String.format(
                    "its saved parameters take %d bytes, over the %d bytes one registry row"
                        + " holds: lower trainer.hidden %s or trainer.members %d",
                    params.length, MAX_SAVED_BYTES, spec.hidden(), spec.members());
            if (publish) {
              throw new IllegalStateException("this model cannot be published: " + why);
            }
            return notKept(version, dir, report, why);
          }
          writing(dir.resolve(MODEL_SPEC), version, f -> RunFolder.writeWhole(f, Json.write(spec)));
          // The parameters last: they are what marks a run as kept.
          writing(dir.resolve(MODEL_PARAMS), version, f -> RunFolder.writeWhole(f, params));
          if (!publish) {
            out.printf(
                "kept %s's model in %s: `memescope train publish %s` publishes it%n",
                version, dir, dir.toAbsolutePath());
            return new Published(version, dir, report, false, null);
          }
          TrainerLease lease;
          try {
            lease = takePublishLease();
          } catch (RuntimeException e) { // another publication, or Cassandra's error
            throw new IllegalStateException(
                e.getMessage()
                    + "; "
                    + version
                    + "'s model is kept: `memescope train publish "
                    + dir.toAbsolutePath()
                    + "` publishes it",
                e);
          }
          try (lease) {
            return publish(
                version, dir, report, spec, model, params, dimensions, index, now, lease);
          }
        }
      } catch (Throwable e) {
        // A run that failed before writing anything (no pairs left to train on, a diverged loss)
        // leaves no empty directory to be taken for a run.
        folder.removeIfEmpty();
        throw e;
      }
    }
  }

  /** A run that keeps no model, as it could not be published; its report stays to be read. */
  private Published notKept(String version, Path dir, TrainingReport report, String why) {
    out.printf("%s is not kept, as it could not be published: %s%n", version, why);
    return new Published(version, dir, report, false, null);
  }

  /**
   * The most parameter bytes a published version may have: its registry row is one Cassandra
   * mutation, at most half a commit log segment (16 MiB by default), with room left for the rest.
   */
  static final long MAX_PARAMETER_BYTES = 12L << 20;

  /**
   * The most bytes a model's saved parameters ({@link QualityModel#save()}) may take: {@link
   * #MAX_PARAMETER_BYTES} of floats and room for the framing (a few KiB), still well under a
   * mutation's 16 MiB. Checked when a run keeps its model and when a kept model is published.
   */
  static final long MAX_SAVED_BYTES = MAX_PARAMETER_BYTES + (1L << 20);

  /** The dimensions with fewer than {@code trainer.min-ratings} scored pairs, with their counts. */
  private IllegalStateException tooFewRatings(int usable) {
    return new IllegalStateException(
        "only "
            + usable
            + " usable ratings; training needs at least "
            + settings.minRatings()
            + " (trainer.min-ratings): rate more pairs first");
  }

  private List<String> thinDimensions(List<String> dimensions, List<Comparison> usable) {
    List<String> thin = new ArrayList<>();
    for (int d = 0; d < dimensions.size(); d++) {
      int scored = 0;
      for (Comparison c : usable) {
        if (!Double.isNaN(c.target(d))) {
          scored++;
        }
      }
      if (scored < settings.minRatings()) {
        thin.add(dimensions.get(d) + " (" + scored + ")");
      }
    }
    return thin;
  }

  private Published publish(
      String version,
      Path dir,
      TrainingReport report,
      QualitySpec spec,
      QualityModel model,
      byte[] params,
      List<String> dimensions,
      IndexEmbeddings index,
      Instant now,
      TrainerLease lease)
      throws IOException {
    out.printf(
        "publishing %s: score percentiles from up to %d images of the index%n",
        version, settings.quantileSample());
    Map<String, float[]> sample =
        index.sample(
            settings.quantileSample(),
            now.toEpochMilli(),
            "trainer.quantile-sample",
            Runtime.getRuntime().maxMemory());
    float[][] raw = model.scores(sample.values().toArray(new float[0][]));
    ScoreQuantiles quantiles = ScoreQuantiles.of(dimensions, raw);
    writeRunFile(
        dir.resolve("score-distribution.png"),
        "version "
            + version
            + " was not published; make room and `memescope train publish "
            + dir.toAbsolutePath()
            + "` publishes it",
        png -> ScoreDistribution.write(dimensions, raw, png));
    Map<String, Double> metrics = new LinkedHashMap<>();
    report.metrics().forEach((k, v) -> metrics.put(k, Double.isFinite(v) ? v : null));
    metrics.values().removeIf(java.util.Objects::isNull);
    QualityRegistry.Entry entry =
        new QualityRegistry.Entry(
            version,
            // Stamped again by the publisher, at publication and after every registered
            // version: "newest" must mean "published last", which is what the topic keeps.
            Instant.now(),
            spec,
            params, // as kept in the run's folder
            quantiles,
            metrics,
            report.refitPairs() > 0 ? report.refitPairs() : report.trainPairs(),
            new String(Files.readAllBytes(dir.resolve("report.json")), StandardCharsets.UTF_8));
    out.printf("publishing %s: registering it, and announcing it on the models topic%n", version);
    lease.ensureHeld();
    new ModelPublisher(config, new QualityRegistry(session)).publish(entry);
    out.printf(
        "published %s (score quantiles from %d images); the ingest job scores new images with"
            + " it from now on%n",
        version, sample.size());
    return new Published(version, dir, report, true, rescore(version));
  }

  /** Writes one file of a run's folder. */
  @FunctionalInterface
  interface RunFile {
    void write(Path file) throws IOException;
  }

  /**
   * Writes {@code file} of run {@code version}, before anything of it is registered: a failure (the
   * disk full) says which file, and that the version was not published. Java's message for a full
   * disk names no file ("No space left on device"), and the command said only that.
   */
  static void writing(Path file, String version, RunFile write) throws IOException {
    writeRunFile(
        file,
        "version " + version + " was trained but not published; make room and train again",
        write);
  }

  /** Writes {@code file}; a failure names it and why, then says {@code ifFailed}. */
  static void writeRunFile(Path file, String ifFailed, RunFile write) throws IOException {
    try {
      write.write(file);
    } catch (IOException e) {
      String why =
          e instanceof java.nio.file.FileSystemException f && f.getReason() != null
              ? f.getReason()
              : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      throw new IOException("cannot write " + file + " (" + why + "): " + ifFailed, e);
    }
  }

  /**
   * Publishes a registered version again, stamped now: it becomes the newest version, the ingest
   * job scores new images with it, and the index is re-scored with it. This finishes a publication
   * whose announcement or re-scoring job failed, and goes back to an older version.
   */
  public Published republish(String version) {
    // Checked before waiting for another publication, and so not while holding the lease.
    checkCanPublish("version " + version + " is not published again");
    try (TrainerLease lease = takePublishLease()) {
      Published meanwhile = publishedMeanwhile(version, lease);
      return meanwhile != null ? meanwhile : republishHeld(version, lease);
    }
  }

  /** The lease that {@link #PUBLISH_LEASE} names, waited for up to {@link #publishLeaseWait}. */
  private TrainerLease takePublishLease() {
    return TrainerLease.take(session, PUBLISH_LEASE, publishLeaseWait, out);
  }

  /**
   * One publication at a time, whichever command publishes (`train run --publish`, `train
   * publish`): two at once of the same run each registered it, announced it and started a
   * re-scoring job of their own, which ran side by side over the whole index (until 2026-12-08).
   */
  static final String PUBLISH_LEASE = "train publish";

  /** How long a publication waits for another one to finish. */
  private Duration publishLeaseWait = Duration.ofMinutes(2);

  /** For tests: how long a publication waits for another one. */
  void publishLeaseWait(Duration wait) {
    this.publishLeaseWait = wait;
  }

  /**
   * When this command waited for another publication, and {@code version} was published since that
   * one took the lease (stamped at or after its {@code since}; both times from that publisher's
   * clock): says so and returns it as published, without a second announcement and re-scoring job;
   * or refuses, when a newer version has been published after it meanwhile (publishing it again
   * would roll that one back, which a command started to publish this one did not ask for).
   * Otherwise null: publishing a registered version again is a choice (to finish a failed
   * publication, or to roll back), made by the command that asks for it while no other runs.
   */
  private Published publishedMeanwhile(String version, TrainerLease lease) {
    Optional<TrainerLease.Waited> other = lease.waitedFor();
    if (other.isEmpty() || other.get().since() == null) {
      return null;
    }
    List<QualityRegistry.Published> all = new QualityRegistry(session).published();
    Optional<QualityRegistry.Published> mine =
        all.stream().filter(p -> p.version().equals(version)).findFirst();
    if (mine.isEmpty() || mine.get().createdAt().isBefore(other.get().since())) {
      return null;
    }
    if (!all.get(0).version().equals(version)) {
      throw new IllegalStateException(
          String.format(
              "%s was published by another publication while this one waited (%s, at %s), and %s"
                  + " has been published after it: %s is not published again over %s (`memescope"
                  + " train publish %s` does that, if you mean to roll back to it)",
              version,
              other.get().holder(),
              mine.get().createdAt(),
              all.get(0).version(),
              version,
              all.get(0).version(),
              version));
    }
    out.printf(
        "%s was published by another publication while this one waited (%s, at %s): it is the"
            + " newest version, so it is not announced and re-scored again (`memescope train"
            + " publish %s` does that, if that one's re-scoring did not start)%n",
        version, other.get().holder(), mine.get().createdAt(), version);
    return new Published(version, null, null, true, null);
  }

  /** Why a registry row cannot be read, from {@link QualityRegistry#get}'s exception. */
  private static String unreadable(java.io.UncheckedIOException e) {
    if (e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
      return Json.describe(j);
    }
    Throwable why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause() : e;
    return String.valueOf(why.getMessage());
  }

  /** Publishes registered {@code version} again; {@link #checkCanPublish} was called. */
  private Published republishHeld(String version, TrainerLease lease) {
    QualityRegistry registry = new QualityRegistry(session);
    Optional<QualityRegistry.Entry> row;
    try {
      row = registry.get(version);
    } catch (java.io.UncheckedIOException e) {
      throw new IllegalStateException(
          "version "
              + version
              + "'s row in the registry cannot be read ("
              + unreadable(e)
              + "): it is not published again; publish the run's folder, where its run kept the"
              + " model, or train a new version",
          e);
    }
    QualityRegistry.Entry old =
        row.orElseThrow(
            () ->
                new IllegalStateException(
                    "version "
                        + version
                        + " is not in the registry (memescope train versions lists them)"));
    loadUsable(version, old.spec(), old.params(), "it is not published again").close();
    // Stamped anew, after the newest version: the ingest job and the re-scoring job follow it.
    lease.ensureHeld();
    new ModelPublisher(config, registry).publish(old);
    out.printf(
        "published %s again: it is the newest version, and the ingest job scores new images with"
            + " it from now on%n",
        version);
    return new Published(version, null, null, true, rescore(version));
  }

  /**
   * Refuses a model that the stack cannot use: dimensions other than {@code rater.dimensions}, an
   * embedding size other than the index's, or parameters that do not load. Announced, such a model
   * would fail every ingest subtask's load every 10 s and the re-scoring job would give up.
   *
   * @return the model, loaded; the caller closes it
   */
  private QualityModel loadUsable(String version, QualitySpec spec, byte[] params, String refused) {
    List<String> dimensions = config.rater().dimensions();
    if (!spec.dimensions().equals(dimensions)) {
      throw new IllegalStateException(
          "version "
              + version
              + " scores "
              + spec.dimensions()
              + ", but the raters now rate "
              + dimensions
              + " (rater.dimensions): train a new version instead");
    }
    java.util.Optional<Integer> index =
        new io.memescope.core.schema.MilvusCollection(milvus(), config.milvus())
            .dimensionOf(config.milvus().collection());
    if (index.isPresent()) {
      int dim = index.get();
      if (dim != spec.embeddingDim()) {
        throw new IllegalStateException(
            "version "
                + version
                + " takes embeddings of "
                + spec.embeddingDim()
                + " dimensions, but the index holds "
                + dim
                + " (another embedding model): train a new version instead");
      }
    }
    try {
      return QualityModel.load(spec, params);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "version "
              + version
              + "'s parameters cannot be loaded ("
              + e.getMessage()
              + "): "
              + refused
              + "; train a new version instead",
          e);
    }
  }

  /** The parameters of the model a run kept ({@link QualityModel#save()}), in its folder. */
  static final String MODEL_PARAMS = "model.params";

  /** The shape of the model a run kept ({@link QualitySpec} as JSON), in its folder. */
  static final String MODEL_SPEC = "model-spec.json";

  /**
   * Publishes {@code version}: a registered one again ({@link #republish}), or else the model that
   * run {@code version} kept in {@code runs} (`train run` without --publish), registered now. A
   * path to a run's folder names that run.
   */
  public Published publish(String version, Path runs) throws IOException {
    if (version.isBlank()) {
      throw new IllegalStateException("name a version, or the path of a run's directory");
    }
    Path folder;
    String name;
    // Decided on the argument as typed: a bare name ("q-...", or "q-.../" as a shell completes it)
    // is a registered version or one of the runs; anything else (".", "./q-...", a path) is a
    // directory, from where the command runs.
    String bare = version.endsWith("/") ? version.substring(0, version.length() - 1) : version;
    if (!bare.isEmpty()
        && !bare.contains("/")
        && !bare.contains(java.io.File.separator)
        && !bare.equals(".")
        && !bare.equals("..")) {
      name = bare;
      folder = runs.resolve(name);
    } else {
      try {
        folder = Path.of(version).toAbsolutePath().normalize();
      } catch (java.nio.file.InvalidPathException e) {
        throw new IllegalStateException(version + " is not a path: " + e.getMessage(), e);
      }
      if (!Files.isDirectory(folder)) {
        throw new IllegalStateException(
            version
                + " ("
                + folder
                + ") is not a run's directory, nor a version's name (memescope train versions"
                + " lists them)");
      }
      name = folder.getFileName() == null ? "" : folder.getFileName().toString();
      // Only a run's folder, so that a directory that merely shares a registered version's name
      // publishes nothing.
      if (name.isEmpty()
          || !(Files.isRegularFile(folder.resolve(MODEL_PARAMS))
              || Files.isRegularFile(folder.resolve("report.json")))) {
        throw new IllegalStateException(
            folder + " is no run's directory (it holds no report.json nor " + MODEL_PARAMS + ")");
      }
    }
    // Checked before waiting for another publication: what is missing is named at once, and the
    // lease is not held while Kafka is asked.
    checkCanPublish("version " + name + " is not published");
    try (TrainerLease lease = takePublishLease()) {
      // Read with the lease held: a run another command was publishing is registered by now.
      Optional<QualityRegistry.Entry> registered;
      try {
        registered = new QualityRegistry(session).get(name);
      } catch (java.io.UncheckedIOException e) {
        String why = unreadable(e);
        if (!Files.isRegularFile(folder.resolve(MODEL_PARAMS))) {
          throw new IllegalStateException(
              "version "
                  + name
                  + "'s row in the registry cannot be read ("
                  + why
                  + "), and "
                  + folder
                  + " holds no model kept by its run to publish instead: train a new version"
                  + " with `memescope train run`",
              e);
        }
        // Until 2026-12-08 the command failed on the row, though the run it came from was there.
        out.printf(
            "version %s's row in the registry cannot be read (%s): publishing the model its run"
                + " kept in %s instead, which replaces that row%n",
            name, why, folder);
        return publishFolder(name, folder, lease);
      }
      if (registered.isPresent()) {
        Published meanwhile = publishedMeanwhile(name, lease);
        return meanwhile != null ? meanwhile : republishHeld(name, lease);
      }
      return publishFolder(name, folder, lease);
    }
  }

  /** {@link #publish(String, Path)} of a version the registry does not hold: a run's folder. */
  private Published publishFolder(String name, Path folder, TrainerLease lease) throws IOException {
    if (Files.isRegularFile(folder.resolve(MODEL_PARAMS))) {
      if (QualityRegistry.trainedAt(name).isEmpty()) {
        // A copy renamed (runs/best) would be registered and announced under another name.
        throw new IllegalStateException(
            folder
                + " is not a run's directory as training left it: a run's is named after its"
                + " version (such as q-20261207T151500Z-0a1b) and is published under that name");
      }
      return publishRun(name, folder, lease);
    }
    if (Files.isRegularFile(folder.resolve("report.json"))) {
      throw new IllegalStateException(
          "run "
              + name
              + " in "
              + folder
              + " kept no model: it could not be published (the run said why), it failed or was"
              + " stopped before its model was written, or it was trained before 2026-12-07;"
              + " train a new version with `memescope train run`");
    }
    throw new IllegalStateException(
        "version "
            + name
            + " is not in the registry (memescope train versions lists them), and "
            + folder
            + " holds no run (--runs DIR says where runs are, or name a run's directory by its"
            + " path)");
  }

  /**
   * Publishes the model kept in run folder {@code dir}: score percentiles from the index as it is
   * now, registered and announced as {@code train run --publish} would have, and the index
   * re-scored.
   */
  private Published publishRun(String version, Path dir, TrainerLease lease) throws IOException {
    QualitySpec spec;
    byte[] params;
    TrainingReport report;
    try {
      spec = Json.read(Files.readAllBytes(dir.resolve(MODEL_SPEC)), QualitySpec.class);
      params = Files.readAllBytes(dir.resolve(MODEL_PARAMS));
      report = TrainingReport.readJson(dir.resolve("report.json"));
    } catch (IOException e) {
      throw new IllegalStateException(
          "run "
              + version
              + " in "
              + dir
              + " cannot be read ("
              + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                  ? Json.describe(j)
                  : e.toString())
              + "): it is not published; train a new version instead",
          e);
    }
    if (params.length > MAX_SAVED_BYTES) {
      throw new IllegalStateException(
          "run "
              + version
              + "'s parameters take "
              + params.length
              + " bytes, over the "
              + MAX_SAVED_BYTES
              + " one registry row holds: it is not published");
    }
    try (QualityModel model = loadUsable(version, spec, params, "it is not published")) {
      IndexEmbeddings index = new IndexEmbeddings(milvus(), config.milvus().collection());
      IndexEmbeddings.checkMemory(
          Math.min(settings.quantileSample(), index.size()),
          spec.embeddingDim(),
          "trainer.quantile-sample",
          Runtime.getRuntime().maxMemory());
      return publish(
          version,
          dir,
          report,
          spec,
          model,
          params,
          spec.dimensions(),
          index,
          Instant.now(),
          lease);
    }
  }

  /** Starts re-scoring the index with {@code version}, if the settings say so; the job's id. */
  private String rescore(String version) {
    if (!settings.rescore()) {
      return null;
    }
    String job;
    try {
      job = new IngestJobs(config).submitRescore(IngestJobs.jobJar(), version);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "version "
              + version
              + " is live, but the re-scoring job could not be started ("
              + (e instanceof io.memescope.infra.flink.FlinkRestClient.FlinkRestException f
                  ? f.brief()
                  : e.getMessage())
              + "): images indexed before it keep their old scores until `memescope train publish "
              + version
              + "` starts it",
          e);
    }
    out.printf("re-scoring the index in Flink job %s%n", job);
    return job;
  }

  /**
   * The embeddings of the images of up to {@code maxPairs} rated or queued pairs (a random choice
   * when there are more) that the sample lacks, so that the design knows which directions the
   * ratings have covered: a sample of the index rarely holds both images of a rated pair.
   */
  static Map<String, float[]> ratedImages(
      IndexEmbeddings index, Set<String> ratedOrQueued, Set<String> sample, int maxPairs) {
    List<String> keys = new ArrayList<>(ratedOrQueued);
    java.util.Collections.shuffle(keys, new java.util.Random(keys.size()));
    Set<String> wanted = new java.util.LinkedHashSet<>();
    for (String key : keys.subList(0, Math.min(maxPairs, keys.size()))) {
      String[] pair = PairKey.ids(key);
      for (String id : pair == null ? new String[0] : pair) {
        if (!sample.contains(id)) {
          wanted.add(id);
        }
      }
    }
    return wanted.isEmpty() ? Map.of() : index.fetch(wanted);
  }

  /**
   * Chooses {@code count} pairs by {@code strategy} with the given version (the newest when null)
   * and appends them to {@code queue} under the label {@code iteration}.
   */
  public Selection select(
      String queue, String iteration, int count, String strategy, String version)
      throws IOException {
    // Two selections at once would each queue pairs the other picked: the exclude set is read
    // before ranking and the batch queued seconds later.
    try (TrainerLease lease = TrainerLease.take(session, "train select", selectLeaseWait, out)) {
      return selectHeld(queue, iteration, count, strategy, version, lease);
    }
  }

  /** How long {@link #select} waits for another selection to finish. */
  private Duration selectLeaseWait = Duration.ofMinutes(2);

  /** For tests: how long {@link #select} waits for another selection. */
  void selectLeaseWait(Duration wait) {
    this.selectLeaseWait = wait;
  }

  private Selection selectHeld(
      String queue,
      String iteration,
      int count,
      String strategy,
      String version,
      TrainerLease lease)
      throws IOException {
    if (!io.memescope.core.config.RaterSettings.NAME.matcher(queue).matches()) {
      throw new IllegalArgumentException(
          "queue '"
              + queue
              + "' must match "
              + io.memescope.core.config.RaterSettings.NAME.pattern()
              + " (the rater app manages no other names)");
    }
    if (count < 1) {
      throw new IllegalArgumentException("the number of pairs must be at least 1, not " + count);
    }
    ActiveLearning.Strategy s = ActiveLearning.Strategy.parse(strategy);
    QualityRegistry registry = new QualityRegistry(session);
    Optional<QualityRegistry.Published> newest = Optional.empty();
    if (version == null && s != ActiveLearning.Strategy.RANDOM) {
      // The design needs no model to start: before the first one it spreads the pairs over the
      // embedding space (a cold start); the other strategies score pairs with a model.
      newest = registry.latest();
      if (newest.isEmpty() && s != ActiveLearning.Strategy.DESIGN) {
        throw new IllegalStateException(
            "no quality model is published yet: train one first, or choose --strategy design"
                + " or random");
      }
    }
    IndexEmbeddings index = new IndexEmbeddings(milvus(), config.milvus().collection());
    Map<String, float[]> pool =
        index.sample(
            settings.activePool(),
            System.nanoTime(),
            "trainer.active.pool",
            Runtime.getRuntime().maxMemory());
    List<String> ids = new ArrayList<>(pool.keySet());
    float[][] embeddings = pool.values().toArray(new float[0][]);
    if (ids.size() < 2) {
      throw new IllegalStateException(
          "no pair to queue: the index holds "
              + ids.size()
              + (ids.size() == 1 ? " image" : " images")
              + "; index some first (memescope sources add ...)");
    }
    Set<String> exclude = new StoredRatings(session).ratedOrQueued();
    ActiveLearning.Options options =
        new ActiveLearning.Options(
            s, settings.activeCandidates(), count, settings.activeDiversity(), System.nanoTime());
    List<ActiveLearning.Selection> chosen;
    Map<String, float[]> rated =
        s == ActiveLearning.Strategy.DESIGN
            ? ratedImages(index, exclude, pool.keySet(), settings.activePool())
            : Map.of();
    if (s == ActiveLearning.Strategy.RANDOM && version != null) {
      // Random pairs use no model: loading one could only fail the command, or name a model
      // that played no part.
      out.printf("random pairs use no model: --model-version %s is ignored%n", version);
    }
    String named =
        s == ActiveLearning.Strategy.RANDOM
            ? null
            : version != null
                ? version
                : newest.map(QualityRegistry.Published::version).orElse(null);
    QualityRegistry.Entry entry = null;
    String coldBecause = null;
    QualityModel model = null;
    try {
      if (named != null) {
        try {
          entry = usable(registry, named, embeddings[0].length);
          model = QualityModel.load(entry.spec(), entry.params());
        } catch (IOException
            | java.io.UncheckedIOException
            | IllegalArgumentException
            | IllegalStateException e) {
          // The model's own problems (not in the registry, unreadable, for other embeddings, an
          // unknown format); a store that fails is not one, and fails the command.
          if (version != null || s != ActiveLearning.Strategy.DESIGN) {
            throw new IllegalStateException(
                "quality model "
                    + named
                    + " cannot rank pairs: "
                    + e.getMessage()
                    + "; name one that can with --model-version (memescope train versions),"
                    + " or choose --strategy design or random",
                e);
          }
          // The design without a model is its cold start: better than no batch at all.
          entry = null;
          coldBecause = "the newest model, " + named + ", cannot be used: " + e.getMessage();
          out.println(coldBecause + "; the design starts cold, as before the first model");
        }
      }
      chosen = ActiveLearning.select(model, ids, embeddings, exclude, rated, options);
    } finally {
      if (model != null) {
        model.close();
      }
    }
    if (chosen.isEmpty()) {
      throw new IllegalStateException(
          "no pair to queue: among the "
              + ids.size()
              + " images sampled from the index, every pair is rated or queued already; index more"
              + " images, or raise trainer.active.pool");
    }
    if (chosen.size() < count) {
      out.printf(
          "only %d of the %d pairs asked for: the candidates drawn from %d images held no more"
              + " unrated, unqueued pairs (trainer.active.candidates %d, trainer.active.pool %d)%n",
          chosen.size(), count, ids.size(), settings.activeCandidates(), settings.activePool());
    }
    List<RatingQueue.Pair> pairs = new ArrayList<>();
    for (ActiveLearning.Selection c : chosen) {
      pairs.add(new RatingQueue.Pair(c.leftId(), c.rightId()));
    }
    // Still this selection's turn: a lease that ran out while it ranked could let a second one
    // queue the same pairs.
    lease.ensureHeld();
    RatingQueue queues = new RatingQueue(session);
    boolean newQueue =
        !queue.equals(config.rater().defaultQueue()) && !queues.names().contains(queue);
    queues.enqueue(queue, iteration, pairs, 0, config.rater().overlap());
    if (newQueue) {
      // A typo makes a queue nobody rates from, whose pairs every later selection leaves out.
      out.printf(
          "note: queue %s did not exist and was made now; only raters given it (the rater app's"
              + " admin API, docs/rater.md) see its pairs%n",
          queue);
    }
    out.printf(
        "queued %d pairs (%s%s, from %d images) in %s as iteration %s%n",
        pairs.size(),
        s.label(),
        entry != null
            ? " under " + entry.version()
            : s != ActiveLearning.Strategy.DESIGN
                ? ""
                : coldBecause != null
                    ? ", no usable model: spread over the index"
                    : ", no model yet: spread over the index",
        ids.size(),
        queue,
        iteration);
    return new Selection(queue, iteration, entry == null ? null : entry.version(), chosen);
  }

  /**
   * Version {@code name} from the registry, refused (with the reason as the message) when it is not
   * there, cannot be read, or was trained on embeddings of another length than the index's (an
   * embedder changed since).
   */
  private static QualityRegistry.Entry usable(
      QualityRegistry registry, String name, int embeddingLength) {
    QualityRegistry.Entry e =
        registry.get(name).orElseThrow(() -> new IllegalArgumentException("not in the registry"));
    if (e.spec().embeddingDim() != embeddingLength) {
      throw new IllegalStateException(
          "it reads embeddings of "
              + e.spec().embeddingDim()
              + " floats, and the index holds embeddings of "
              + embeddingLength);
    }
    return e;
  }

  /** Every published version, newest first. */
  public List<QualityRegistry.Entry> versions() {
    return new QualityRegistry(session).versions();
  }

  /** Every published version, newest first, and the registry rows that cannot be read. */
  public QualityRegistry.Listing listing() {
    return new QualityRegistry(session).list();
  }

  /**
   * The version the ingest job follows: the newest well-formed announcement on the models topic (30
   * s at most). Empty when nothing was announced.
   *
   * @throws IllegalStateException when the topic cannot be read in time
   */
  public java.util.Optional<io.memescope.core.quality.ModelVersion> announced() {
    return io.memescope.core.quality.ModelAnnouncements.read(
        config.kafka(), java.time.Duration.ofSeconds(30));
  }

  @Override
  public void close() {
    try {
      if (milvus != null) {
        milvus.close();
      }
    } finally {
      session.close();
    }
  }
}
