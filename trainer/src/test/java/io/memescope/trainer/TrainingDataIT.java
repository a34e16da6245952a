package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.QualityModel;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.quality.ScoreQuantiles;
import io.memescope.core.rating.PairKey;
import io.memescope.core.rating.RatingQueue;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.core.schema.Schema;
import io.memescope.infra.testing.TestStack;
import io.memescope.trainer.data.StoredRatings;
import io.memescope.trainer.data.TrainerLease;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.InsertReq;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What training reads, on the test stack's Cassandra and Milvus (no jobs): which ratings count,
 * what is left out and said, and when a trained model is not published. The whole loop (ingest,
 * publish, re-score) is {@link QualityPipelineIT}'s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainingDataIT {
  private static final int IMAGES = 40;
  private static final int GOOD = 60;
  private static final int OF_GHOSTS = 10;

  private MemescopeConfig config;
  private CqlSession cql;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, Float> utility = new HashMap<>();
  private Path runs;
  private int dim; // the index's embedding length

  @BeforeAll
  void imagesAndRatings() throws Exception {
    TestStack.config();
    String run = TestStack.uniqueName("trdata");
    config =
        TestStack.load(
            Map.of(
                "cassandra.keyspace", run,
                "milvus.collection", run,
                "kafka.topics.models.name", run + ".models",
                "trainer.hidden", "[8]",
                "trainer.members", "2",
                "trainer.max-epochs", "3",
                "trainer.rescore", "false"));
    Schema.apply(config);
    runs = Files.createTempDirectory("training-data-it");
    cql = Clients.cassandraKeyspace(config.cassandra());
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    Random random = new Random(5);
    try {
      dim =
          new MilvusCollection(milvus, config.milvus())
              .dimensionOf(config.milvus().collection())
              .orElseThrow();
      List<JsonObject> rows = new ArrayList<>();
      for (int i = 0; i < IMAGES; i++) {
        byte[] id = new byte[16];
        random.nextBytes(id);
        String imageId = HexFormat.of().formatHex(id);
        JsonArray v = new JsonArray();
        float first = 0;
        for (int d = 0; d < dim; d++) {
          float x = (float) random.nextGaussian();
          first = d == 0 ? x : first;
          v.add(x);
        }
        JsonObject o = new JsonObject();
        o.addProperty(MilvusCollection.ID, imageId);
        o.add(MilvusCollection.VECTOR, v);
        o.addProperty(MilvusCollection.QUALITY, 0f);
        o.addProperty(MilvusCollection.SOURCE, "it");
        o.addProperty(MilvusCollection.FIRST_SEEN, 0L);
        rows.add(o);
        ids.add(imageId);
        utility.put(imageId, first);
      }
      milvus.insert(
          InsertReq.builder().collectionName(config.milvus().collection()).data(rows).build());
    } finally {
      milvus.close();
    }
    // GOOD ratings of indexed images, by a rater who prefers a larger first coordinate; then
    // OF_GHOSTS of an image that is not in the index (taken down since).
    java.util.Set<String> rated = new java.util.HashSet<>();
    while (rated.size() < GOOD) {
      String left = ids.get(random.nextInt(IMAGES));
      String right = ids.get(random.nextInt(IMAGES));
      if (!left.equals(right) && rated.add(PairKey.of(left, right))) {
        rate("sim", left, right, utility.get(left) > utility.get(right) ? -1 : 1);
      }
    }
    String ghost = "0".repeat(32);
    for (int k = 0; k < OF_GHOSTS; k++) {
      rate("sim", ghost, ids.get(k), 0);
    }
  }

  @AfterAll
  void close() {
    if (cql != null) {
      cql.close();
    }
  }

  /** A rating as the rater app stores it: a row in each table. */
  private void rate(String rater, String left, String right, int score) {
    Map<String, Integer> scores = new HashMap<>();
    for (String d : config.rater().dimensions()) {
      scores.put(d, score);
    }
    TestRatings.store(cql, rater, left, right, scores);
  }

  @Test
  void a_pair_rated_twice_by_one_rater_or_rated_then_undone_counts_as_the_rater_app_shows_it() {
    int before = new StoredRatings(cql).all().size();
    assertThat(before).isEqualTo(GOOD + OF_GHOSTS);
    // Two tabs: the same rater rates a pair again on another lease (the later rating replaces
    // the earlier in ratings_by_pair); and a rating then undone, whose earlier twin stays in
    // ratings_by_rater only.
    String a = ids.get(0);
    String b = ids.get(1);
    rate("twice", a, b, -2);
    rate("twice", a, b, 2);
    String c = ids.get(2);
    rate("undone", a, c, -2);
    cql.execute(
        "DELETE FROM ratings_by_pair WHERE pair_key = ? AND rater = 'undone'", PairKey.of(a, c));
    List<StoredRatings.Rating> all = new StoredRatings(cql).all();
    assertThat(all).hasSize(before + 1);
    assertThat(all)
        .filteredOn(r -> r.rater().equals("twice"))
        .singleElement()
        .satisfies(r -> assertThat(r.scores().values()).containsOnly(2));
    assertThat(all).noneMatch(r -> r.rater().equals("undone"));
    cql.execute(
        "DELETE FROM ratings_by_pair WHERE pair_key = ? AND rater = 'twice'", PairKey.of(a, b));
  }

  @Test
  void ratings_of_images_gone_from_the_index_are_left_out_before_the_minimum_is_checked()
      throws Exception {
    // 70 stored, 60 usable: a minimum of 65 is not met.
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            config,
            TestStack.load(
                    Map.of(
                        "cassandra.keyspace", config.cassandra().keyspace(),
                        "milvus.collection", config.milvus().collection(),
                        "trainer.hidden", "[8]",
                        "trainer.members", "2",
                        "trainer.max-epochs", "3",
                        "trainer.min-ratings", "65"))
                .trainer(),
            new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      assertThatThrownBy(() -> service.train(runs, false, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("only " + GOOD + " usable ratings")
          .hasMessageContaining("trainer.min-ratings");
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("left out: " + OF_GHOSTS + " rating(s) of an image no longer in the index");
  }

  @Test
  void a_rating_off_the_scale_is_named_and_left_out_and_training_goes_on() throws Exception {
    String a = ids.get(3);
    String b = ids.get(4);
    cql.execute(
        "INSERT INTO ratings_by_pair (pair_key, rater, left_id, right_id, scores)"
            + " VALUES (?, 'hand', ?, ?, ?)",
        PairKey.of(a, b),
        a,
        b,
        Map.of(config.rater().dimensions().get(0), 3));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    QualityService.Published p;
    try (QualityService service =
        new QualityService(
            config, config.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      p = service.train(runs, false, false);
    } finally {
      cql.execute(
          "DELETE FROM ratings_by_pair WHERE pair_key = ? AND rater = 'hand'", PairKey.of(a, b));
    }
    String out = printed.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .contains(
            "left out: the rating of " + a + " against " + b + " by hand: not on the scale: 3")
        .contains("1 off the scale");
    assertThat(p.report().trainPairs() + p.report().validationPairs() + p.report().droppedPairs())
        .as("every usable rating went into the split, and nothing else")
        .isEqualTo(GOOD);
    // The report kept with the version says what was left out (it said 0 until 2026-12-07).
    assertThat(p.report().missingEmbeddings()).isEqualTo(OF_GHOSTS);
  }

  @Test
  void a_model_with_nothing_held_out_to_measure_it_is_not_published() throws Exception {
    // A validation share so small that no pair is held out (0.01 of 60 is under one pair).
    MemescopeConfig small =
        TestStack.load(
            Map.of(
                "cassandra.keyspace", config.cassandra().keyspace(),
                "milvus.collection", config.milvus().collection(),
                "kafka.topics.models.name", config.kafka().topic("models").name(),
                "trainer.hidden", "[8]",
                "trainer.members", "2",
                "trainer.max-epochs", "3",
                "trainer.validation-fraction", "0.01",
                "trainer.rescore", "false"));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            small, small.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      assertThatThrownBy(() -> service.train(runs, true, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is not published: no pair was held out")
          .hasMessageContaining("trainer.validation-fraction = 0");
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("held out no pair")
        .contains("accuracy is unknown");
    assertThat(new QualityRegistry(cql).versions()).as("nothing registered").isEmpty();
    // Trained alone, it keeps no model, which could be published later past this check.
    printed.reset();
    try (QualityService service =
        new QualityService(
            small, small.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      QualityService.Published trained = service.train(runs, false, false);
      assertThat(trained.runDir().resolve(QualityService.MODEL_PARAMS)).doesNotExist();
      assertThatThrownBy(() -> service.publish(trained.version(), runs))
          .hasMessageContaining("kept no model");
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("is not kept, as it could not be published: no pair was held out");
  }

  @Test
  void a_model_that_cannot_be_used_leaves_the_design_its_cold_start_and_blocks_nothing_else()
      throws Exception {
    QualityRegistry registry = new QualityRegistry(cql);
    // A good model, but for embeddings twice as long as the index's (an embedder changed since),
    // published last.
    QualitySpec wide = new QualitySpec(config.rater().dimensions(), 2 * dim, List.of(4), 2, 0.0);
    try (QualityModel model = QualityModel.create(wide, 1)) {
      float[][] sample = new float[10][2 * dim];
      registry.save(
          new QualityRegistry.Entry(
              "q-wide",
              Instant.now().plusSeconds(60),
              wide,
              model.save(),
              ScoreQuantiles.of(wide.dimensions(), model.scores(sample)),
              Map.of(),
              10,
              "{}"));
    }
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            config, config.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      QualityService.Selection cold = service.select("it-cold", "cold-1", 5, "design", null);
      assertThat(cold.pairs()).hasSize(5);
      assertThat(cold.version()).isNull();
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("the newest model, q-wide, cannot be used: it reads embeddings of " + 2 * dim)
          .contains("the design starts cold")
          .contains("no usable model: spread over the index");
      assertThatThrownBy(() -> service.select("it-cold", "cold-2", 5, "uncertainty", null))
          .hasMessageContaining("quality model q-wide cannot rank pairs")
          .hasMessageContaining("--model-version");
      assertThatThrownBy(() -> service.select("it-cold", "cold-2", 5, "design", "q-wide"))
          .as("a version named on purpose is not passed over")
          .hasMessageContaining("quality model q-wide cannot rank pairs");
      QualityService.Selection random = service.select("it-cold", "cold-r", 5, "random", "q-wide");
      assertThat(random.pairs()).as("random pairs need no model").hasSize(5);
      assertThat(random.version()).isNull();
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("random pairs use no model: --model-version q-wide is ignored");

      // Then a row whose metadata cannot be read (damaged, or written by hand), newer still.
      cql.execute(
          "INSERT INTO quality_models (version, created_at, spec, params, quantiles, metrics,"
              + " training_pairs, report) VALUES ('q-damaged', ?, '{', null, '[', '{}', 0, '{}')",
          Instant.now().plusSeconds(120));
      printed.reset();
      assertThat(service.select("it-cold", "cold-3", 5, "design", null).pairs()).hasSize(5);
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("the newest model, q-damaged, cannot be used")
          .contains("unreadable");
      assertThatThrownBy(() -> service.select("it-cold", "cold-4", 5, "disagreement", null))
          .hasMessageContaining("quality model q-damaged cannot rank pairs");
      // `train versions` lists what it can read and names the rest: a damaged row, and one whose
      // metadata is missing (until 2026-12-06 that failed the whole listing).
      cql.execute(
          "INSERT INTO quality_models (version, created_at, spec, quantiles, metrics,"
              + " training_pairs) VALUES ('q-null', ?, null, null, null, 0)",
          Instant.now().plusSeconds(60));
      QualityRegistry.Listing listing = service.listing();
      assertThat(listing.versions())
          .extracting(QualityRegistry.Entry::version)
          .containsExactly("q-wide");
      assertThat(listing.unreadable()).containsOnlyKeys("q-damaged", "q-null");
      assertThat(listing.unreadable().get("q-null")).isEqualTo("its spec is missing");

      // Publishing goes on past the damaged row (stamped after it), and the new version ranks.
      QualityService.Published third = service.train(runs, true, false);
      assertThat(third.published()).isTrue();
      assertThat(registry.latest().orElseThrow().version()).isEqualTo(third.version());
      QualityService.Selection ranked = service.select("it-cold", "cold-5", 5, "design", null);
      assertThat(ranked.version()).isEqualTo(third.version());
    } finally {
      for (QualityRegistry.Published p : registry.published()) {
        cql.execute("DELETE FROM quality_models WHERE version = ?", p.version());
      }
    }
  }

  @Test
  void a_dimension_with_too_few_ratings_is_not_published_and_said_when_training_alone()
      throws Exception {
    // "humor" added to the rated dimensions: no stored rating scores it.
    MemescopeConfig humor =
        TestStack.load(
            Map.of(
                "cassandra.keyspace", config.cassandra().keyspace(),
                "milvus.collection", config.milvus().collection(),
                "kafka.topics.models.name", config.kafka().topic("models").name(),
                "rater.dimensions", "[usefulness, memeness, aesthetics, humor]",
                "trainer.hidden", "[8]",
                "trainer.members", "2",
                "trainer.max-epochs", "3",
                "trainer.rescore", "false"));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            humor, humor.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      assertThatThrownBy(() -> service.train(runs, true, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not published: too few rated pairs on humor (0)")
          .hasMessageContaining("trainer.min-ratings (50)")
          .hasMessageContaining("rater.dimensions");
      assertThat(new QualityRegistry(cql).versions()).as("nothing registered").isEmpty();
      QualityService.Published trained = service.train(runs, false, false);
      assertThat(trained.published()).isFalse();
      // Not kept either, so that it cannot be published later past the check that refused it.
      assertThat(trained.runDir().resolve("report.json")).exists();
      assertThat(trained.runDir().resolve(QualityService.MODEL_PARAMS)).doesNotExist();
      assertThatThrownBy(() -> service.publish(trained.version(), runs))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("run " + trained.version())
          .hasMessageContaining("kept no model");
      assertThat(new QualityRegistry(cql).versions()).as("nothing registered").isEmpty();
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("warning: too few rated pairs on humor (0)")
        .contains("is not kept, as it could not be published: too few rated pairs on humor (0)")
        .doesNotContain("usefulness (");
  }

  @Test
  void a_run_without_publish_keeps_its_model_and_publishing_it_later_registers_that_model()
      throws Exception {
    QualityRegistry registry = new QualityRegistry(cql);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            config, config.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      QualityService.Published trained = service.train(runs, false, false);
      String version = trained.version();
      Path dir = trained.runDir();
      assertThat(trained.published()).isFalse();
      assertThat(registry.get(version)).as("training alone registers nothing").isEmpty();
      // The model publishing takes: refitted on every usable pair (trainer.refit), as
      // `run --publish` would publish it.
      assertThat(trained.report().refitPairs()).isEqualTo(GOOD);
      byte[] params = Files.readAllBytes(dir.resolve(QualityService.MODEL_PARAMS));
      QualitySpec spec =
          io.memescope.core.records.Json.read(
              Files.readAllBytes(dir.resolve(QualityService.MODEL_SPEC)), QualitySpec.class);
      assertThat(spec.dimensions()).isEqualTo(config.rater().dimensions());
      assertThat(spec.embeddingDim()).isEqualTo(dim);
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("kept " + version + "'s model in " + dir)
          .contains("`memescope train publish " + dir.toAbsolutePath() + "` publishes it");

      // Only a registered version or a run's folder is published: not another name, and not a
      // path that is no directory from where the command runs (a run's path relative to the runs'
      // folder is not looked up there).
      assertThatThrownBy(() -> service.publish("q-20000101T000000Z-0000", runs))
          .hasMessageContaining("is not in the registry")
          .hasMessageContaining(runs.resolve("q-20000101T000000Z-0000") + " holds no run");
      assertThatThrownBy(() -> service.publish("../" + runs.getFileName() + "/" + version, runs))
          .hasMessageContaining("is not a run's directory, nor a version's name");
      // A copy under another name is not published under that name.
      Path renamed = Files.createDirectories(runs.resolve("best"));
      for (String f :
          List.of("report.json", QualityService.MODEL_SPEC, QualityService.MODEL_PARAMS)) {
        Files.copy(dir.resolve(f), renamed.resolve(f));
      }
      for (String copy : List.of(renamed.toString(), "best", "best/")) {
        assertThatThrownBy(() -> service.publish(copy, runs))
            .as(copy)
            .hasMessageContaining("is not a run's directory as training left it")
            .hasMessageContaining("named after its version");
      }
      assertThatThrownBy(() -> service.publish(".", runs))
          .as("the working directory, no run's")
          .hasMessageContaining("is no run's directory");
      assertThatThrownBy(() -> service.publish("/", runs))
          .hasMessageContaining("is no run's directory");
      assertThat(registry.get(version)).isEmpty();
      assertThat(registry.get("best")).isEmpty();

      // By the path of its folder, as `train run` prints it.
      QualityService.Published p = service.publish(dir.toAbsolutePath().toString(), runs);
      assertThat(p.published()).isTrue();
      assertThat(p.version()).isEqualTo(version);
      QualityRegistry.Entry entry = registry.get(version).orElseThrow();
      assertThat(entry.params()).as("the kept parameters, not another training").isEqualTo(params);
      assertThat(entry.spec()).isEqualTo(spec);
      assertThat(entry.trainingPairs()).isEqualTo(GOOD);
      assertThat(entry.metrics()).containsKey("accuracy");
      assertThat(registry.latest().orElseThrow().version()).isEqualTo(version);
      // Announced too, but not necessarily the newest stamp on this class's models topic: an
      // earlier test's version stamped ahead of the clock may still be there (its registry row
      // gone). QualityPipelineIT checks the announcement of a kept run published so.
      assertThat(dir.resolve("score-distribution.png")).exists();
      // Once registered, the registry's row is the one published again (its percentiles too),
      // named by its version as a shell completes it, or by its folder.
      printed.reset();
      assertThat(service.publish(version + "/", runs).version()).isEqualTo(version);
      assertThat(service.publish(dir.toAbsolutePath() + "/.", runs).version()).isEqualTo(version);
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("published " + version + " again");
    } finally {
      for (QualityRegistry.Published p : registry.published()) {
        cql.execute("DELETE FROM quality_models WHERE version = ?", p.version());
      }
    }
  }

  @Test
  void a_model_too_large_for_a_registry_row_is_refused_before_training() throws Exception {
    MemescopeConfig wide =
        TestStack.load(
            Map.of(
                "cassandra.keyspace",
                config.cassandra().keyspace(),
                "milvus.collection",
                config.milvus().collection(),
                "kafka.topics.models.name",
                config.kafka().topic("models").name(),
                "trainer.hidden",
                "[65536]",
                "trainer.members",
                "8",
                "trainer.rescore",
                "false"));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            wide, wide.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      assertThatThrownBy(() -> service.train(runs, true, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("this model cannot be published: its parameters would take")
          .hasMessageContaining("over the 12 MiB one registry row holds")
          .hasMessageContaining("trainer.hidden [65536]");
    }
    assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("trained q-");

    // The limit is one Cassandra takes: a row with saved parameters of the most a model may take
    // (the 12 MiB of floats and room for the framing) is stored.
    QualityRegistry registry = new QualityRegistry(cql);
    QualitySpec spec = new QualitySpec(config.rater().dimensions(), dim, List.of(4), 2, 0.0);
    try {
      registry.save(
          new QualityRegistry.Entry(
              "q-largest",
              Instant.parse("2026-01-01T00:00:00Z"),
              spec,
              new byte[(int) QualityService.MAX_SAVED_BYTES],
              ScoreQuantiles.of(spec.dimensions(), new float[10][spec.outputs()]),
              Map.of(),
              10,
              "{}"));
      assertThat(registry.get("q-largest").orElseThrow().params())
          .hasSize((int) QualityService.MAX_SAVED_BYTES);
    } finally {
      cql.execute("DELETE FROM quality_models WHERE version = 'q-largest'");
    }
  }

  /** This test class's settings with {@code more} on top. */
  private MemescopeConfig with(Map<String, String> more) {
    Map<String, String> all = new HashMap<>();
    all.put("cassandra.keyspace", config.cassandra().keyspace());
    all.put("milvus.collection", config.milvus().collection());
    all.put("kafka.topics.models.name", config.kafka().topic("models").name());
    all.put("trainer.hidden", "[8]");
    all.put("trainer.members", "2");
    all.put("trainer.max-epochs", "3");
    all.put("trainer.rescore", "false");
    all.putAll(more);
    return TestStack.load(all);
  }

  @Test
  void publishing_without_kafka_or_flink_is_refused_before_training() throws Exception {
    // Until 2026-12-06 a missing Kafka or Flink was found after training, and the run was lost.
    // Nothing listens on ports 3 and 4 here.
    for (var c :
        List.of(
            Map.entry(Map.of("kafka.port", "3"), "which cannot be reached"),
            Map.entry(
                Map.of("kafka.topics.models.name", "no-such-topic-" + System.nanoTime()),
                "which does not exist"),
            // The job jar is there (QualityPipelineIT runs it): the Flink that is not is named.
            Map.entry(
                Map.of("trainer.rescore", "true", "flink.rest-port", "4"),
                "in Flink at http://127.0.0.1:4"))) {
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      MemescopeConfig broken = with(c.getKey());
      try (QualityService service =
          new QualityService(
              broken, broken.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
        assertThatThrownBy(() -> service.train(runs, true, false))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("not trained, since it could not be published: publishing")
            .hasMessageContaining(c.getValue())
            .hasMessageContaining("./memescope up")
            .hasMessageNotContaining("no job jar");
        // Refused before it read a rating.
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThatThrownBy(() -> service.republish("q-anything"))
            .hasMessageStartingWith("version q-anything is not published again: publishing");
      }
    }
  }

  @Test
  void listing_versions_needs_no_milvus_and_training_names_the_milvus_it_cannot_reach()
      throws Exception {
    MemescopeConfig noMilvus = with(Map.of("milvus.port", "1"));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            noMilvus, noMilvus.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      // Until 2026-12-06 the service connected to Milvus first, so `train versions` failed with
      // the SDK's error while Milvus was down.
      assertThat(service.listing().unreadable()).isEmpty();
      assertThatThrownBy(() -> service.train(runs, false, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("Milvus at " + noMilvus.milvus().uri() + " does not answer")
          .hasMessageEndingWith("start the stack with ./memescope up");
    }
  }

  @Test
  void a_version_whose_parameters_cannot_be_loaded_is_not_published_again() throws Exception {
    QualityRegistry registry = new QualityRegistry(cql);
    QualitySpec spec = new QualitySpec(config.rater().dimensions(), dim, List.of(4), 2, 0.0);
    Instant stamped = Instant.parse("2026-01-01T00:00:00Z");
    try (QualityModel model = QualityModel.create(spec, 1)) {
      byte[] params = model.save();
      byte[] garbled = java.util.Arrays.copyOf(params, params.length / 2); // cut short
      registry.save(
          new QualityRegistry.Entry(
              "q-garbled",
              stamped,
              spec,
              garbled,
              ScoreQuantiles.of(spec.dimensions(), model.scores(new float[10][dim])),
              Map.of(),
              10,
              "{}"));
    }
    try (QualityService service =
        new QualityService(
            config, config.trainer(), new PrintStream(new ByteArrayOutputStream(), true))) {
      assertThatThrownBy(() -> service.republish("q-garbled"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("q-garbled's parameters cannot be loaded")
          .hasMessageContaining("not published again");
      assertThat(registry.get("q-garbled").orElseThrow().createdAt())
          .as("not stamped as published")
          .isEqualTo(stamped);
    } finally {
      cql.execute("DELETE FROM quality_models WHERE version = 'q-garbled'");
    }
  }

  @Test
  void a_batch_of_pairs_is_queued_in_one_write_in_its_order() {
    // 600 pairs: one write of one partition (RatingQueue.WRITE), about 120 kB, where the writes
    // were 50 pairs each before.
    List<RatingQueue.Pair> pairs = new ArrayList<>();
    for (int a = 0; a < IMAGES && pairs.size() < 600; a++) {
      for (int b = a + 1; b < IMAGES && pairs.size() < 600; b++) {
        pairs.add(new RatingQueue.Pair(ids.get(b), ids.get(a)));
      }
    }
    RatingQueue queue = new RatingQueue(cql);
    assertThat(queue.enqueue("it-order", "order-1", pairs, 1, 0)).isEqualTo(600);
    List<String> stored = new ArrayList<>();
    cql.execute(
            "SELECT pair_key, left_id, iteration FROM rating_queue WHERE queue = 'it-order'"
                + " ORDER BY rank")
        .forEach(
            r -> {
              assertThat(r.getString("iteration")).isEqualTo("order-1");
              stored.add(r.getString("left_id") + "|" + r.getString("pair_key"));
            });
    assertThat(stored)
        .containsExactlyElementsOf(
            pairs.stream().map(p -> p.left() + "|" + PairKey.of(p.left(), p.right())).toList());
  }

  @Test
  void one_train_select_at_a_time_the_second_waits_then_names_the_first() throws Exception {
    // Another selection holds the lease (as a running `train select` would).
    cql.execute(
        "INSERT INTO trainer_leases (name, holder, since) VALUES ('train select', 'other', ?)"
            + " USING TTL 60",
        Instant.now());
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            config, config.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      service.selectLeaseWait(java.time.Duration.ofSeconds(2));
      assertThatThrownBy(() -> service.select("it-lease", "lease-1", 5, "random", null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another train select (other, since")
          .hasMessageContaining("is still running after 2 s");
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("waiting for another train select (other");
      assertThat(new RatingQueue(cql).summary("it-lease").depth()).as("nothing queued").isZero();

      // The other one finishes while this one waits: this one goes on, and gives the lease back.
      service.selectLeaseWait(java.time.Duration.ofSeconds(30));
      Thread release =
          new Thread(
              () -> {
                try {
                  Thread.sleep(1500);
                } catch (InterruptedException e) {
                  return;
                }
                cql.execute("DELETE FROM trainer_leases WHERE name = 'train select'");
              });
      release.start();
      assertThat(service.select("it-lease", "lease-2", 5, "random", null).pairs()).hasSize(5);
      release.join();
      // A queue that did not exist (a typo, as likely as a new one) is named as made now.
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("note: queue it-lease did not exist and was made now");
      printed.reset();
      service.select("it-lease", "lease-3", 2, "random", null);
      assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("did not exist");
      assertThat(cql.execute("SELECT holder FROM trainer_leases WHERE name = 'train select'").one())
          .as("given back")
          .isNull();
    } finally {
      cql.execute("DELETE FROM trainer_leases WHERE name = 'train select'");
    }
  }

  @Test
  void one_publication_at_a_time_and_a_version_published_while_waiting_is_not_published_again()
      throws Exception {
    QualityRegistry registry = new QualityRegistry(cql);
    QualitySpec spec = new QualitySpec(config.rater().dimensions(), dim, List.of(4), 2, 0.0);
    Instant stamped = Instant.parse("2026-01-01T00:00:00Z");
    QualityRegistry.Entry entry;
    try (QualityModel model = QualityModel.create(spec, 1)) {
      entry =
          new QualityRegistry.Entry(
              "q-lease",
              stamped,
              spec,
              model.save(),
              ScoreQuantiles.of(spec.dimensions(), model.scores(new float[10][dim])),
              Map.of(),
              10,
              "{}");
    }
    registry.save(entry);
    // Another publication holds the lease (as a running `train publish` would).
    cql.execute(
        "INSERT INTO trainer_leases (name, holder, since) VALUES ('train publish', 'other', ?)"
            + " USING TTL 60",
        Instant.now());
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            config, config.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      service.publishLeaseWait(java.time.Duration.ofSeconds(2));
      // Neither a registered version nor a new run is published beside it.
      assertThatThrownBy(() -> service.publish("q-lease", runs))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another train publish (other, since")
          .hasMessageContaining("is still running after 2 s");
      assertThat(registry.get("q-lease").orElseThrow().createdAt()).isEqualTo(stamped);
      int before = registry.published().size();
      assertThatThrownBy(() -> service.train(runs, true, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another train publish (other, since")
          .hasMessageContaining("'s model is kept: `memescope train publish " + runs);
      assertThat(registry.published()).as("nothing registered").hasSize(before);
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("waiting for another train publish (other");

      // The other one has registered q-lease already, and still holds the lease (announcing it,
      // starting its re-scoring) when this one asks: this one waits, finds it published, and
      // neither announces it nor starts its re-scoring again.
      service.publishLeaseWait(java.time.Duration.ofSeconds(30));
      cql.execute(
          "INSERT INTO trainer_leases (name, holder, since) VALUES ('train publish', 'other', ?)"
              + " USING TTL 60",
          Instant.now());
      java.util.concurrent.atomic.AtomicReference<Instant> theirs =
          new java.util.concurrent.atomic.AtomicReference<>(
              Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
      registry.save(entry.stampedAt(theirs.get()));
      Thread.sleep(5); // this command asks after that stamp
      Thread other =
          new Thread(
              () -> {
                try {
                  Thread.sleep(1500);
                } catch (InterruptedException e) {
                  return;
                }
                cql.execute("DELETE FROM trainer_leases WHERE name = 'train publish'");
              });
      printed.reset();
      other.start();
      QualityService.Published p = service.publish("q-lease", runs);
      other.join();
      assertThat(p.published()).isTrue();
      assertThat(registry.get("q-lease").orElseThrow().createdAt())
          .as("not stamped again")
          .isEqualTo(theirs.get());
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("q-lease was published by another publication while this one waited (other, at")
          .doesNotContain("published q-lease again");

      // The same, but a newer version is published after it before this one gets the lease:
      // publishing q-lease again would roll that one back, which this command did not ask for.
      QualityRegistry.Entry newer =
          new QualityRegistry.Entry(
              "q-lease-newer",
              stamped,
              entry.spec(),
              entry.params(),
              entry.quantiles(),
              entry.metrics(),
              entry.trainingPairs(),
              entry.report());
      Thread two =
          new Thread(
              () -> {
                try {
                  Thread.sleep(1500);
                } catch (InterruptedException e) {
                  return;
                }
                theirs.set(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
                registry.save(entry.stampedAt(theirs.get()));
                registry.save(newer.stampedAt(theirs.get().plusMillis(1)));
                cql.execute("DELETE FROM trainer_leases WHERE name = 'train publish'");
              });
      cql.execute(
          "INSERT INTO trainer_leases (name, holder, since) VALUES ('train publish', 'other', ?)"
              + " USING TTL 60",
          Instant.now());
      two.start();
      assertThatThrownBy(() -> service.publish("q-lease", runs))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("q-lease was published by another publication while this one")
          .hasMessageContaining("q-lease-newer has been published after it")
          .hasMessageContaining("`memescope train publish q-lease` does that");
      two.join();
      assertThat(registry.get("q-lease").orElseThrow().createdAt()).isEqualTo(theirs.get());
      assertThat(registry.latest().orElseThrow().version()).isEqualTo("q-lease-newer");

      // Asked for with no other publication running, it is published again: a choice, as when
      // rolling back.
      printed.reset();
      service.publish("q-lease", runs);
      assertThat(registry.get("q-lease").orElseThrow().createdAt()).isAfter(theirs.get());
      assertThat(printed.toString(StandardCharsets.UTF_8)).contains("published q-lease again");
      assertThat(
              cql.execute("SELECT holder FROM trainer_leases WHERE name = 'train publish'").one())
          .as("given back")
          .isNull();
    } finally {
      cql.execute("DELETE FROM trainer_leases WHERE name = 'train publish'");
      for (QualityRegistry.Published v : registry.published()) {
        cql.execute("DELETE FROM quality_models WHERE version = ?", v.version());
      }
    }
  }

  @Test
  void a_registry_row_that_cannot_be_read_is_replaced_by_publishing_the_model_its_run_kept()
      throws Exception {
    QualityRegistry registry = new QualityRegistry(cql);
    String damage =
        "INSERT INTO quality_models (version, created_at, spec, params, quantiles, metrics,"
            + " training_pairs, report) VALUES (?, ?, '{', null, '[', '{}', 0, '{}')";
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (QualityService service =
        new QualityService(
            config, config.trainer(), new PrintStream(printed, true, StandardCharsets.UTF_8))) {
      QualityService.Published trained = service.train(runs, false, false);
      String version = trained.version();
      byte[] params = Files.readAllBytes(trained.runDir().resolve(QualityService.MODEL_PARAMS));
      // Its row in the registry damaged (written by hand, or half restored from a backup).
      cql.execute(damage, version, Instant.now());
      assertThatThrownBy(() -> registry.get(version))
          .isInstanceOf(java.io.UncheckedIOException.class);
      printed.reset();
      QualityService.Published p = service.publish(version, runs);
      assertThat(p.published()).isTrue();
      assertThat(printed.toString(StandardCharsets.UTF_8))
          .contains("version " + version + "'s row in the registry cannot be read (")
          .contains("publishing the model its run kept in ")
          .contains(version + " instead, which replaces that row");
      assertThat(registry.get(version).orElseThrow().params())
          .as("the row replaced by the kept model")
          .isEqualTo(params);

      // A damaged row with no run kept for it is refused, saying why.
      String lost = "q-20260101T000000Z-dead";
      cql.execute(damage, lost, Instant.now());
      assertThatThrownBy(() -> service.publish(lost, runs))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(lost + "'s row in the registry cannot be read (")
          .hasMessageContaining("holds no model kept by its run");
      assertThatThrownBy(() -> service.republish(lost))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(lost + "'s row in the registry cannot be read (")
          .hasMessageContaining("it is not published again");
    } finally {
      for (QualityRegistry.Published v : registry.published()) {
        cql.execute("DELETE FROM quality_models WHERE version = ?", v.version());
      }
    }
  }

  @Test
  void a_held_lease_is_renewed_past_its_ttl_and_one_taken_over_stops_the_write() throws Exception {
    String name = "it select";
    java.time.Duration ttl = java.time.Duration.ofSeconds(5);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    cql.execute("DELETE FROM trainer_leases WHERE name = ?", name);
    try (TrainerLease lease = TrainerLease.take(cql, name, java.time.Duration.ZERO, ttl, quiet)) {
      // More than two lifetimes: without renewal the row would be gone, and a second command
      // could start beside this one.
      Thread.sleep(11_000);
      assertThat(cql.execute("SELECT holder FROM trainer_leases WHERE name = ?", name).one())
          .as("the lease of a command still running, past its TTL")
          .isNotNull()
          .satisfies(r -> assertThat(r.getString("holder")).isEqualTo(lease.holder()));
      lease.ensureHeld();
      assertThatThrownBy(
              () -> TrainerLease.take(cql, name, java.time.Duration.ofSeconds(1), ttl, quiet))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another it select (" + lease.holder());

      // Taken over (as after it ran out while the store was away longer than the TTL): the
      // command must not go on to its write.
      // A lightweight transaction, as the renewals are: a plain write is not ordered with them.
      cql.execute(
          "UPDATE trainer_leases SET holder = 'other' WHERE name = ? IF holder = ?",
          name,
          lease.holder());
      assertThatThrownBy(lease::ensureHeld)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("lost the it select lease");
    }
    assertThat(cql.execute("SELECT holder FROM trainer_leases WHERE name = ?", name).one())
        .as("another holder's lease is not given back by this one")
        .isNotNull()
        .satisfies(r -> assertThat(r.getString("holder")).isEqualTo("other"));
    cql.execute("DELETE FROM trainer_leases WHERE name = ?", name);
  }

  @Test
  void the_lease_of_a_killed_command_on_this_machine_is_taken_over_at_once() throws Exception {
    String name = "it select killed";
    // A process of this machine that has ended, as a `train select` killed with -9 would have.
    Process gone = new ProcessBuilder("sleep", "1").start();
    String dead = TrainerLease.holderOf(gone.toHandle()) + "/0";
    gone.waitFor();
    String alive = TrainerLease.holderOf(ProcessHandle.current()) + "/0";
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    try {
      cql.execute(
          "INSERT INTO trainer_leases (name, holder, since) VALUES (?, ?, ?) USING TTL 60",
          name,
          dead,
          Instant.now());
      try (TrainerLease lease = TrainerLease.take(cql, name, java.time.Duration.ZERO, out)) {
        assertThat(printed.toString(StandardCharsets.UTF_8))
            .contains("(" + dead + ", since")
            .contains("is not running any more: taking it over");
      }
      // A live holder on this machine is waited for, as before.
      cql.execute(
          "INSERT INTO trainer_leases (name, holder, since) VALUES (?, ?, ?) USING TTL 60",
          name,
          alive,
          Instant.now());
      assertThatThrownBy(
              () -> TrainerLease.take(cql, name, java.time.Duration.ofSeconds(1), out).close())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another it select killed (" + alive);
    } finally {
      cql.execute("DELETE FROM trainer_leases WHERE name = ?", name);
    }
  }
}
