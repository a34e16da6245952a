package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.rating.RatingQueue;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.records.UrlNormalizer;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.core.schema.Schema;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.infra.testing.Memes;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.GetReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.response.QueryResp;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The quality model's whole loop on the test stack: the real ingest job indexes memes unscored;
 * ratings (simulated, written where the rater app writes them) train a model, which is published to
 * the registry and the models topic; the running job scores new images with it without a restart;
 * the re-scoring job scores the old ones; active learning fills a rating queue.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QualityPipelineIT {
  static final int FIRST = 40;
  static final int LATER = 16;
  static final int EXTRA = 4;
  static final int LAST = 2;

  /**
   * How long after publishing the re-scoring job's catch-up pass waits: long enough for this test
   * to write stale rows after the slice pass, as the ingest job may.
   */
  static final Duration SETTLE = Duration.ofSeconds(75);

  private final Map<String, byte[]> served = new HashMap<>();
  private final List<String> firstIds = new ArrayList<>();
  private final Map<String, Double> brightness = new HashMap<>();
  private final List<String> laterIds = new ArrayList<>();
  private final List<CrawlRecord> laterRecords = new ArrayList<>();
  private final List<String> extraIds = new ArrayList<>();
  private final List<CrawlRecord> extraRecords = new ArrayList<>();
  private final List<String> lastIds = new ArrayList<>();
  private final List<CrawlRecord> lastRecords = new ArrayList<>();
  private MemescopeConfig config;
  private HttpServer server;
  private IngestJobs jobs;
  private CqlSession cql;
  private Path runs;
  private QualityService.Published published;

  @BeforeAll
  void indexUnscoredImages() throws Exception {
    TestStack.config();
    String run = TestStack.uniqueName("quality");
    runs = Files.createTempDirectory("quality-runs");
    config =
        TestStack.load(
            Map.ofEntries(
                Map.entry("cassandra.keyspace", run),
                Map.entry("kafka.topics.crawl-urls.name", run + ".crawl.urls"),
                Map.entry("kafka.topics.ingest-indexed.name", run + ".indexed"),
                Map.entry("kafka.topics.ingest-rejects.name", run + ".rejects"),
                Map.entry("kafka.topics.takedowns.name", run + ".takedowns"),
                Map.entry("kafka.topics.models.name", run + ".models"),
                Map.entry("milvus.collection", run),
                Map.entry("ingest.job-name", run),
                Map.entry("ingest.checkpoint-interval", "2s"),
                Map.entry("trainer.rescore-settle", SETTLE.toSeconds() + "s"),
                Map.entry("ingest.fetch.allow-private-hosts", "[localhost]")));
    Schema.apply(config);
    cql = Clients.cassandraKeyspace(config.cassandra());
    server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
    server.createContext(
        "/",
        e -> {
          byte[] body = served.get(e.getRequestURI().getPath());
          if (body == null) {
            e.sendResponseHeaders(404, -1);
          } else {
            e.getResponseHeaders().add("Content-Type", "application/octet-stream");
            e.sendResponseHeaders(200, body.length);
            e.getResponseBody().write(body);
          }
          e.close();
        });
    server.start();
    List<CrawlRecord> first = new ArrayList<>();
    for (int i = 0; i < FIRST + LATER + EXTRA + LAST; i++) {
      String caption = Memes.WORDS[i % Memes.WORDS.length] + " " + i;
      byte[] bytes = Memes.encode(Memes.meme(500 + i, caption), "png");
      served.put("/m/" + i + ".png", bytes);
      String url = "http://localhost:" + server.getAddress().getPort() + "/m/" + i + ".png";
      CrawlRecord r =
          CrawlRecord.of(
              UrlNormalizer.normalise(url), "it", Instant.now(), caption, null, null, Map.of());
      brightness.put(imageId(bytes), brightness(bytes));
      if (i < FIRST) {
        firstIds.add(imageId(bytes));
        first.add(r);
      } else if (i < FIRST + LATER) {
        laterIds.add(imageId(bytes));
        laterRecords.add(r);
      } else if (i < FIRST + LATER + EXTRA) {
        extraIds.add(imageId(bytes));
        extraRecords.add(r);
      } else {
        lastIds.add(imageId(bytes));
        lastRecords.add(r);
      }
    }
    // A malformed announcement first: the job skips it and goes on unscored.
    send(config.kafka().topic("models").name(), "quality", "{not json".getBytes());
    publish(first);
    jobs = new IngestJobs(config);
    jobs.ensureRunning(Path.of(System.getProperty("memescope.jobJar")));
    await("the first images indexed", Duration.ofMinutes(4), () -> countImages() >= FIRST);
  }

  @AfterAll
  void stop() {
    if (jobs != null) {
      jobs.cancel();
    }
    if (server != null) {
      server.stop(0);
    }
    if (cql != null) {
      cql.close();
    }
  }

  @Test
  @Order(1)
  void before_any_model_images_are_indexed_unscored() {
    for (String id : firstIds) {
      Row r = image(id);
      assertThat(r).as(id).isNotNull();
      assertThat(r.getString("quality_version")).isNull();
    }
  }

  @Test
  @Order(1)
  void before_any_model_the_design_queues_pairs_spread_over_the_index_and_others_refuse()
      throws Exception {
    try (QualityService service = new QualityService(config)) {
      QualityService.Selection cold = service.select("cold-queue", "it-0", 6, "design", null);
      assertThat(cold.version()).isNull();
      assertThat(cold.pairs()).hasSize(6);
      assertThatThrownBy(() -> service.select("cold-queue", "it-0", 6, "disagreement", null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no quality model is published yet");
    }
    RatingQueue.Summary summary = new RatingQueue(cql).summary("cold-queue");
    assertThat(summary.iterations()).containsExactly(Map.entry("it-0", 6));
  }

  @Test
  @Order(2)
  void training_on_stored_ratings_publishes_a_version_and_rescoring_updates_every_old_image()
      throws Exception {
    seedRatings(160);
    // An image half taken down (its Cassandra row deleted, its vector not yet): re-scoring must
    // not bring the row back.
    String halfGone = firstIds.remove(firstIds.size() - 1);
    cql.execute("DELETE FROM images WHERE id = ?", halfGone);
    try (QualityService service = new QualityService(config)) {
      published = service.train(runs, true, false);
    }
    String version = published.version();
    assertThat(Files.exists(runs.resolve(version).resolve("report.json"))).isTrue();
    for (String png : List.of("learning-curve.png", "score-distribution.png")) {
      assertThat(javax.imageio.ImageIO.read(runs.resolve(version).resolve(png).toFile()).getWidth())
          .as(png + ", a readable picture")
          .isGreaterThan(600);
    }
    try (QualityService service = new QualityService(config)) {
      assertThat(service.announced().orElseThrow().version())
          .as("the version the ingest job is told to follow (a malformed announcement before it)")
          .isEqualTo(version);
    }
    QualityRegistry.Entry entry = new QualityRegistry(cql).get(version).orElseThrow();
    assertThat(entry.params()).isNotEmpty();
    TrainingReport report = published.report();
    assertThat(report.refitPairs())
        .as("trained again on every usable rating before publishing (trainer.refit)")
        .isEqualTo(report.trainPairs() + report.validationPairs() + report.droppedPairs())
        .isGreaterThan(report.trainPairs());
    assertThat(entry.trainingPairs()).isEqualTo(report.refitPairs());
    assertThat(TrainingReport.readJson(runs.resolve(version).resolve("report.json")).refitPairs())
        .isEqualTo(report.refitPairs());
    assertThat(entry.quantiles().percentiles()).containsOnlyKeys(config.rater().dimensions());
    assertThat(published.rescoreJob()).isNotNull();
    await(
        "the slice pass: every old image on the version",
        Duration.ofMinutes(4),
        () -> {
          assertThat(jobs.state(published.rescoreJob())).isNotIn("FAILED", "CANCELED");
          return firstIds.stream()
              .allMatch(id -> version.equals(image(id).getString("quality_version")));
        });
    // What the catch-up pass is for: the ingest job writing, after an image's slice was done, what
    // it scored with the older version before the announcement reached it, or an image it indexed
    // unscored (the registry unreachable). Written here by hand, within the settle time.
    String older = firstIds.get(0);
    String unscored = firstIds.get(1);
    cql.execute(
        "UPDATE images SET quality = -1, quality_version = 'q-older', quality_scores = null"
            + " WHERE id = ?",
        older);
    cql.execute(
        "UPDATE images SET quality = null, quality_version = null, quality_scores = null"
            + " WHERE id = ?",
        unscored);
    setMilvusQuality(List.of(older, unscored), -1f);
    assertThat(milvusQuality(List.of(older, unscored)).values()).containsOnly(-1f);
    assertThat(Instant.now())
        .as("the stale rows are written before the catch-up pass may start")
        .isBefore(entry.createdAt().plus(SETTLE).minusSeconds(2));
    awaitFinished("the re-scoring job finished", published.rescoreJob());
    assertThat(image(halfGone)).as("a taken-down image stays gone").isNull();
    Map<String, Float> milvusQuality = milvusQuality(firstIds);
    for (String id : firstIds) {
      Row r = image(id);
      assertThat(r.getString("quality_version")).as(id).isEqualTo(version);
      Map<String, Float> scores = r.getMap("quality_scores", String.class, Float.class);
      assertThat(scores).containsOnlyKeys(config.rater().dimensions());
      scores.values().forEach(v -> assertThat(v).isBetween(0f, 1f));
      double mean = scores.values().stream().mapToDouble(Float::doubleValue).average().orElse(-1);
      assertThat(r.getFloat("quality"))
          .isCloseTo((float) mean, org.assertj.core.data.Offset.offset(1e-5f));
      assertThat(milvusQuality.get(id))
          .as("Milvus agrees with Cassandra")
          .isEqualTo(r.getFloat("quality"));
    }
    // The model learned the rater's preference: it orders the images by brightness (chance: 0).
    double rho =
        spearman(
            firstIds.stream().map(id -> (double) milvusQuality.get(id)).toList(),
            firstIds.stream().map(brightness::get).toList());
    System.out.printf(
        "Spearman rho(quality, brightness) over %d images: %.3f%n", firstIds.size(), rho);
    assertThat(rho).isGreaterThan(0.5);
  }

  private static double spearman(List<Double> x, List<Double> y) {
    double[] rx = ranks(x);
    double[] ry = ranks(y);
    double sum = 0;
    for (int i = 0; i < rx.length; i++) {
      sum += (rx[i] - ry[i]) * (rx[i] - ry[i]);
    }
    int n = rx.length;
    return 1 - 6 * sum / (n * ((double) n * n - 1));
  }

  private static double[] ranks(List<Double> v) {
    Integer[] order = new Integer[v.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparing(v::get));
    double[] r = new double[v.size()];
    for (int k = 0; k < order.length; k++) {
      r[order[k]] = k;
    }
    return r;
  }

  private static double brightness(byte[] bytes) {
    try {
      java.awt.image.BufferedImage img =
          javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(bytes));
      double sum = 0;
      for (int y = 0; y < img.getHeight(); y++) {
        for (int x = 0; x < img.getWidth(); x++) {
          int rgb = img.getRGB(x, y);
          sum += 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
        }
      }
      return sum / (img.getWidth() * (double) img.getHeight());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  @Order(3)
  void the_running_ingest_job_scores_new_images_with_the_published_version_without_a_restart()
      throws Exception {
    String jobBefore = jobs.running().orElseThrow().id();
    publish(laterRecords);
    await(
        "the later images indexed and scored",
        Duration.ofMinutes(3),
        () ->
            laterIds.stream()
                .allMatch(
                    id -> {
                      Row r = image(id);
                      return r != null
                          && published.version().equals(r.getString("quality_version"));
                    }));
    assertThat(jobs.running().orElseThrow().id())
        .as("the same job, never restarted")
        .isEqualTo(jobBefore);
    Map<String, Float> milvusQuality = milvusQuality(laterIds);
    for (String id : laterIds) {
      assertThat(milvusQuality.get(id)).isEqualTo(image(id).getFloat("quality"));
    }
  }

  @Test
  @Order(4)
  void active_learning_fills_the_rating_queue_with_unrated_pairs_under_an_iteration_label()
      throws Exception {
    Set<String> rated = new HashSet<>();
    for (Row r : cql.execute("SELECT pair_key FROM ratings_by_pair")) {
      rated.add(r.getString("pair_key"));
    }
    QualityService.Selection selection;
    try (QualityService service = new QualityService(config)) {
      selection = service.select("al-queue", "it-1", 12, "design", null);
    }
    assertThat(selection.pairs()).hasSize(12);
    assertThat(selection.version()).isEqualTo(published.version());
    RatingQueue.Summary summary = new RatingQueue(cql).summary("al-queue");
    assertThat(summary.depth()).isEqualTo(12);
    assertThat(summary.iterations()).containsExactly(Map.entry("it-1", 12));
    Set<String> queued = new HashSet<>();
    for (Row r :
        cql.execute("SELECT pair_key, iteration FROM rating_queue WHERE queue = 'al-queue'")) {
      assertThat(r.getString("iteration")).isEqualTo("it-1");
      queued.add(r.getString("pair_key"));
    }
    Set<String> queuedBefore = new HashSet<>();
    for (Row r : cql.execute("SELECT pair_key FROM rating_queue WHERE queue = 'cold-queue'")) {
      queuedBefore.add(r.getString("pair_key"));
    }
    assertThat(queuedBefore).hasSize(6);
    assertThat(queued)
        .hasSize(12)
        .doesNotContainAnyElementsOf(rated)
        .doesNotContainAnyElementsOf(queuedBefore);
  }

  @Test
  @Order(5)
  void publishing_an_older_version_again_rolls_back_the_ingest_job_and_the_index()
      throws Exception {
    String first = published.version();
    QualityService.Published second;
    try (QualityService service = new QualityService(config)) {
      assertThatThrownBy(() -> service.republish("q-20000101T000000Z-0000"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is not in the registry");
      // Trained alone first, its report read, then published from its kept model: the same
      // announcement and re-scoring as `run --publish`.
      QualityService.Published trained = service.train(runs, false, false);
      assertThat(trained.published()).isFalse();
      second = service.publish(trained.version(), runs);
      assertThat(second.version()).isEqualTo(trained.version());
      assertThat(second.rescoreJob()).isNotNull();
    }
    QualityRegistry registry = new QualityRegistry(cql);
    assertThat(registry.latest().orElseThrow().version()).isEqualTo(second.version());
    try (QualityService service = new QualityService(config)) {
      ModelVersion announced = service.announced().orElseThrow();
      assertThat(announced.version()).as("the kept run, announced").isEqualTo(second.version());
      assertThat(announced.previouslyStamped())
          .as("a first publication goes back from nothing")
          .isNull();
    }
    Instant firstStamp =
        registry.published().stream()
            .filter(p -> p.version().equals(first))
            .findFirst()
            .orElseThrow()
            .createdAt();
    // As if the second had been published from a machine whose clock runs an hour ahead: going
    // back must still make the first the newest.
    registry.save(
        registry
            .get(second.version())
            .orElseThrow()
            .stampedAt(Instant.now().plus(Duration.ofHours(1))));
    // Back to the first version while the second's re-scoring job may still run: that job stops
    // (cancelled, or every slice it had left skipped as superseded), and the first version's
    // re-scores every image.
    QualityService.Published back;
    try (QualityService service = new QualityService(config)) {
      back = service.republish(first);
    }
    assertThat(back.rescoreJob()).isNotNull();
    assertThat(registry.latest().orElseThrow().version()).isEqualTo(first);
    try (QualityService service = new QualityService(config)) {
      ModelVersion live = service.announced().orElseThrow();
      assertThat(live.version()).isEqualTo(first);
      // What the ingest job goes by when the first version cannot be loaded: the second,
      // stamped since, is withdrawn.
      assertThat(live.previouslyStamped()).isEqualTo(firstStamp);
      assertThat(live.rollsBack(registry.get(second.version()).orElseThrow().createdAt())).isTrue();
    }
    await(
        "the second version's re-scoring job stopped",
        Duration.ofMinutes(1),
        () -> List.of("CANCELED", "FINISHED").contains(jobs.state(second.rescoreJob())));
    awaitFinished("the first version's re-scoring job finished", back.rescoreJob());
    List<String> old = new ArrayList<>(firstIds);
    old.addAll(laterIds);
    Map<String, Float> milvusQuality = milvusQuality(old);
    for (String id : old) {
      Row r = image(id);
      assertThat(r.getString("quality_version")).as(id).isEqualTo(first);
      assertThat(milvusQuality.get(id)).as(id).isEqualTo(r.getFloat("quality"));
    }
    // New images after the re-scoring, so that only the running ingest job can have scored them.
    String jobBefore = jobs.running().orElseThrow().id();
    publish(extraRecords);
    await(
        "the extra images indexed and scored",
        Duration.ofMinutes(3),
        () ->
            extraIds.stream()
                .allMatch(
                    id -> image(id) != null && image(id).getString("quality_version") != null));
    for (String id : extraIds) {
      assertThat(image(id).getString("quality_version")).as(id).isEqualTo(first);
    }
    assertThat(jobs.running().orElseThrow().id()).isEqualTo(jobBefore);
  }

  @Test
  @Order(6)
  void a_version_trained_after_a_rollback_stamped_ahead_of_the_clock_is_the_one_followed()
      throws Exception {
    QualityRegistry registry = new QualityRegistry(cql);
    QualityRegistry.Published rolledBack = registry.latest().orElseThrow();
    assertThat(rolledBack.createdAt())
        .as("the version that Order 5 rolled back to, stamped after one an hour ahead of our clock")
        .isAfter(Instant.now().plus(Duration.ofMinutes(30)));
    QualityService.Published third;
    try (QualityService service = new QualityService(config)) {
      third = service.train(runs, true, false);
      assertThat(service.announced().orElseThrow().version())
          .as("the newest announcement on the models topic")
          .isEqualTo(third.version());
    }
    QualityRegistry.Published entry = registry.latest().orElseThrow();
    assertThat(entry.version()).isEqualTo(third.version());
    assertThat(entry.createdAt()).isAfter(rolledBack.createdAt());
    // Its re-scoring job is not skipped as superseded by the rolled-back version.
    awaitFinished("the new version's re-scoring job finished", third.rescoreJob());
    List<String> old = new ArrayList<>(firstIds);
    old.addAll(laterIds);
    old.addAll(extraIds);
    for (String id : old) {
      assertThat(image(id).getString("quality_version")).as(id).isEqualTo(third.version());
    }
    // The running ingest job follows it rather than ignoring it as older: new images after the
    // re-scoring, so that only the ingest job can have scored them.
    publish(lastRecords);
    await(
        "the last images indexed and scored",
        Duration.ofMinutes(3),
        () ->
            lastIds.stream()
                .allMatch(
                    id -> image(id) != null && image(id).getString("quality_version") != null));
    for (String id : lastIds) {
      assertThat(image(id).getString("quality_version")).as(id).isEqualTo(third.version());
    }
  }

  @Test
  @Order(7)
  void a_selection_that_runs_out_of_unrated_pairs_says_so_and_one_with_none_left_queues_nothing()
      throws Exception {
    int images = (int) countImages();
    int possible = images * (images - 1) / 2;
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    QualityService.Selection all;
    try (QualityService service =
        new QualityService(
            config,
            config.trainer(),
            new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8))) {
      all = service.select("exhaust", "it-all", possible, "random", null);
      assertThat(all.pairs().size()).isLessThan(possible); // some are rated or queued already
      assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8))
          .contains("only " + all.pairs().size() + " of the " + possible + " pairs asked for");
      assertThatThrownBy(() -> service.select("exhaust", "it-none", 10, "random", null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no pair to queue")
          .hasMessageContaining("every pair is rated or queued already");
    }
    assertThat(new RatingQueue(cql).summary("exhaust").iterations())
        .containsExactly(Map.entry("it-all", all.pairs().size()));
  }

  // ---- helpers -----------------------------------------------------------------------------

  /**
   * Ratings as the rater app stores them, from a simulated rater who prefers brighter images (mean
   * luminance): a preference the embedding can carry, so the model can learn it.
   */
  private void seedRatings(int n) {
    Random random = new Random(7);
    for (int k = 0; k < n; k++) {
      int a = random.nextInt(FIRST);
      int b = random.nextInt(FIRST);
      if (a == b) {
        continue;
      }
      double diff = brightness.get(firstIds.get(a)) - brightness.get(firstIds.get(b));
      int v = diff > 40 ? -2 : diff > 8 ? -1 : diff > -8 ? 0 : diff > -40 ? 1 : 2; // -2: left best
      Map<String, Integer> scores = new HashMap<>();
      for (String d : config.rater().dimensions()) {
        scores.put(d, v);
      }
      String left = firstIds.get(a);
      String right = firstIds.get(b);
      String rater = "sim-" + (k % 3);
      TestRatings.store(cql, rater, left, right, scores);
    }
  }

  private Row image(String id) {
    return cql.execute(
            "SELECT id, quality, quality_version, quality_scores FROM images WHERE id = ?", id)
        .one();
  }

  private long countImages() {
    return cql.execute("SELECT count(*) FROM images").one().getLong(0);
  }

  private Map<String, Float> milvusQuality(List<String> ids) {
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      Map<String, Float> out = new HashMap<>();
      String in = String.join("\",\"", ids);
      milvus
          .query(
              QueryReq.builder()
                  .collectionName(config.milvus().collection())
                  .filter(MilvusCollection.ID + " in [\"" + in + "\"]")
                  .outputFields(List.of(MilvusCollection.ID, MilvusCollection.QUALITY))
                  .build())
          .getQueryResults()
          .forEach(
              r ->
                  out.put(
                      (String) r.getEntity().get(MilvusCollection.ID),
                      ((Number) r.getEntity().get(MilvusCollection.QUALITY)).floatValue()));
      return out;
    } finally {
      milvus.close();
    }
  }

  /** Sets the Milvus quality of {@code ids}, keeping the rest of their rows. */
  private void setMilvusQuality(List<String> ids, float quality) {
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      List<com.google.gson.JsonObject> rows = new ArrayList<>();
      com.google.gson.Gson gson = new com.google.gson.Gson();
      for (QueryResp.QueryResult r :
          milvus
              .get(
                  GetReq.builder()
                      .collectionName(config.milvus().collection())
                      .ids(List.copyOf(ids))
                      .outputFields(List.of("*"))
                      .build())
              .getGetResults()) {
        com.google.gson.JsonObject o = gson.toJsonTree(r.getEntity()).getAsJsonObject();
        o.addProperty(MilvusCollection.QUALITY, quality);
        rows.add(o);
      }
      assertThat(rows).hasSize(ids.size());
      milvus.upsert(
          UpsertReq.builder().collectionName(config.milvus().collection()).data(rows).build());
    } finally {
      milvus.close();
    }
  }

  private void publish(List<CrawlRecord> records) {
    for (CrawlRecord r : records) {
      send(config.kafka().topic("crawl-urls").name(), r.urlHash(), Json.write(r));
    }
  }

  private void send(String topic, String key, byte[] value) {
    Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, key, value));
    }
  }

  /** Waits for a bounded Flink job to finish; fails at once if it failed or was cancelled. */
  private void awaitFinished(String what, String jobId) throws InterruptedException {
    await(
        what,
        Duration.ofMinutes(4),
        () -> {
          String state = jobs.state(jobId);
          assertThat(state).as(what).isNotIn("FAILED", "CANCELED");
          return "FINISHED".equals(state);
        });
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + what);
  }

  private static String imageId(byte[] bytes) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
          .substring(0, 32);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
