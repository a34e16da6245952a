package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityModel;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualityScorer;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.quality.ScoreQuantiles;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import io.memescope.infra.testing.TestStack;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The scorer of the ingest job, restored from a checkpoint taken before a version was published
 * (the job was down meanwhile), against the test stack's Kafka and Cassandra: the images it resumes
 * with are scored with the version on the models topic, not the one in its restored broadcast
 * state, before the broadcast has delivered anything; with Kafka away on opening it scores with the
 * restored one rather than fail.
 */
class ScoreAndRouteIT {
  private static final int DIM = 8;
  private final Random random = new Random(3);

  @Test
  void a_job_restored_after_a_publication_scores_with_the_published_version_at_once()
      throws Exception {
    MemescopeConfig config = stack("score");
    QualitySpec spec = new QualitySpec(List.of("funny", "clever"), DIM, List.of(4), 2, 0.0);
    QualityRegistry.Entry first = entry(spec, "q-first", Instant.now().minusSeconds(120), 1);
    QualityRegistry.Entry second = entry(spec, "q-second", Instant.now().minusSeconds(60), 2);
    try (var session = Clients.cassandraKeyspace(config.cassandra())) {
      QualityRegistry registry = new QualityRegistry(session);
      registry.save(first);
      registry.save(second);
    }
    String hocon = config.render();

    // Running with the first version (the topic is still empty), then a checkpoint.
    OperatorSubtaskState checkpoint;
    try (var running =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(hocon), ScoreAndRoute.MODELS)) {
      running.processBroadcastElement(first.announcement(), 1);
      running.processElement(image(), 2);
      assertThat(versions(running)).containsExactly("q-first");
      checkpoint = running.snapshot(1, 3);
    }

    // While the job is down the second version is published: a malformed record, then it.
    announce(config, "{not json".getBytes());
    announce(config, Json.write(second.announcement()));

    // Restored: the broadcast state says first, and nothing has come through the broadcast yet.
    try (var restored = restored(hocon, checkpoint)) {
      IndexEffect resumed = image();
      restored.processElement(resumed, 4);
      assertThat(versions(restored)).containsExactly("q-second");
      IndexEffect.Quality q = restored.extractOutputValues().get(0).quality();
      try (QualityScorer expected = QualityScorer.load(second)) {
        assertThat(q.overall())
            .isEqualTo(expected.score(new float[][] {resumed.vector()})[0].overall());
      }
      // The topic's replay reaches the broadcast: the older announcement changes nothing.
      restored.processBroadcastElement(first.announcement(), 5);
      restored.processElement(image(), 6);
      restored.processBroadcastElement(second.announcement(), 7);
      restored.processElement(image(), 8);
      assertThat(versions(restored)).containsExactly("q-second", "q-second", "q-second");
    }

    // Kafka away when the task opens: the restored version, not a failure.
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    MemescopeConfig noKafka =
        TestStack.load(
            Map.of(
                "milvus.collection",
                config.milvus().collection(),
                "cassandra.keyspace",
                config.cassandra().keyspace(),
                "kafka.topics.models.name",
                config.kafka().topic("models").name(),
                "kafka.port",
                Integer.toString(deadPort)));
    try (var away = restored(noKafka.render(), checkpoint)) {
      away.processElement(image(), 9);
      assertThat(versions(away)).containsExactly("q-first");
    }
  }

  @Test
  void a_version_that_cannot_be_loaded_leaves_the_subtask_on_the_one_before() throws Exception {
    MemescopeConfig config = stack("fallback");
    QualitySpec spec = new QualitySpec(List.of("funny", "clever"), DIM, List.of(4), 2, 0.0);
    Instant now = Instant.now();
    QualityRegistry.Entry oldest = entry(spec, "q-oldest", now.minusSeconds(300), 1);
    QualityRegistry.Entry older = entry(spec, "q-older", now.minusSeconds(240), 2);
    // Parameters of a format this release does not read (say, written by a later one).
    byte[] laterFormat = oldest.params().clone();
    java.nio.ByteBuffer.wrap(laterFormat).putInt(4, 99);
    QualityRegistry.Entry unreadable =
        withParams(oldest, "q-unreadable", now.minusSeconds(180), laterFormat);
    // Truncated parameters.
    QualityRegistry.Entry broken =
        withParams(oldest, "q-broken", now.minusSeconds(120), new byte[] {1, 2, 3});
    QualityRegistry.Entry ancient =
        withParams(oldest, "q-ancient", now.minusSeconds(360), new byte[] {1, 2, 3});
    // A good model, but for 16-dimensional embeddings (the job's are 8-dimensional).
    QualityRegistry.Entry otherLength =
        entry(
            new QualitySpec(List.of("funny", "clever"), 2 * DIM, List.of(4), 2, 0.0),
            "q-other-length",
            now.minusSeconds(150),
            3);
    try (var session = Clients.cassandraKeyspace(config.cassandra())) {
      QualityRegistry registry = new QualityRegistry(session);
      for (QualityRegistry.Entry e :
          List.of(ancient, oldest, older, unreadable, otherLength, broken)) {
        registry.save(e);
      }
    }
    String hocon = config.render();

    // Nothing loaded, and no earlier announcement known (a job started without state: the
    // compacted topic keeps the newest alone): the registry's newest older version that loads and
    // fits, not unscored images until the next publication. q-other-length (for other embeddings)
    // and q-unreadable (a later format), between them, are passed over.
    try (var fresh =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(hocon), ScoreAndRoute.MODELS)) {
      fresh.processBroadcastElement(broken.announcement(), 1);
      IndexEffect first = image();
      fresh.processElement(first, 2);
      fresh.processElement(image(), 3);
      assertThat(stamps(fresh)).containsExactly("q-older", "q-older");
      try (QualityScorer expected = QualityScorer.load(older)) {
        assertThat(fresh.extractOutputValues().get(0).quality().overall())
            .isEqualTo(expected.score(new float[][] {first.vector()})[0].overall());
      }
    }

    // The announcement it replaced is known (broadcast state, restored too): that version, which
    // was live, rather than the registry's newest older one (q-older: after a rollback, or a
    // publication never announced, the registry's order is not the order versions were live in).
    OperatorSubtaskState checkpoint;
    try (var announced =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(hocon), ScoreAndRoute.MODELS)) {
      announced.processBroadcastElement(oldest.announcement(), 1);
      announced.processBroadcastElement(broken.announcement(), 2);
      announced.processElement(image(), 3);
      assertThat(stamps(announced)).containsExactly("q-oldest");
      checkpoint = announced.snapshot(1, 4);
    }
    try (var restored = restored(hocon, checkpoint)) {
      restored.processElement(image(), 5);
      assertThat(stamps(restored)).containsExactly("q-oldest");
    }

    // Running on a version when a newer one fails to load: it keeps its own.
    try (var running =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(hocon), ScoreAndRoute.MODELS)) {
      running.processBroadcastElement(oldest.announcement(), 1);
      running.processElement(image(), 2);
      running.processBroadcastElement(broken.announcement(), 3);
      running.processElement(image(), 4);
      assertThat(stamps(running)).containsExactly("q-oldest", "q-oldest");
    }

    // No older version that loads (the oldest is broken too): the images go on unscored.
    try (var none =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(hocon), ScoreAndRoute.MODELS)) {
      none.processBroadcastElement(ancient.announcement(), 1);
      none.processElement(image(), 2);
      assertThat(stamps(none)).containsExactly("unscored");
    }
  }

  /**
   * A rollback's wanted version has the version it goes back from as its predecessor, which is no
   * version to fall back to; a version published twice (to finish a publication) keeps the one
   * before it as its predecessor; and a version published after one trained later than it (two
   * overlapping training runs, or a trainer whose clock runs ahead) is no rollback.
   */
  @Test
  void the_fallback_skips_a_version_rolled_back_from_and_survives_a_version_published_twice()
      throws Exception {
    QualitySpec spec = new QualitySpec(List.of("funny", "clever"), DIM, List.of(4), 2, 0.0);
    Instant now = Instant.now();

    // C, then A, then B; then A published again to roll back from B, and A's parameters cannot
    // be read.
    MemescopeConfig rollback = stack("rollback");
    QualityRegistry.Entry c = entry(spec, "q-20261130T000000Z-cccc", now.minusSeconds(300), 1);
    QualityRegistry.Entry b = entry(spec, "q-20261202T000000Z-bbbb", now.minusSeconds(200), 2);
    QualityRegistry.Entry a =
        withParams(c, "q-20261201T000000Z-aaaa", now.minusSeconds(100), new byte[] {1, 2, 3});
    ModelVersion aFirst = a.stampedAt(now.minusSeconds(250)).announcement();
    ModelVersion aAgain = a.announcement(now.minusSeconds(250));
    save(rollback, c, b, a);
    assertThat(stampsAfter(rollback, c.announcement(), aFirst, b.announcement(), aAgain))
        .containsExactly(c.version());
    // A subtask running on B when A comes does not go on stamping with B, the version withdrawn.
    try (var running =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(rollback.render()), ScoreAndRoute.MODELS)) {
      running.processBroadcastElement(c.announcement(), 1);
      running.processBroadcastElement(b.announcement(), 2);
      running.processElement(image(), 3);
      running.processBroadcastElement(aAgain, 4);
      running.processElement(image(), 5);
      assertThat(stamps(running)).containsExactly(b.version(), c.version());
    }
    // B held; A published for the first time and not loadable (B kept); B published again; then
    // A published again: B, live since A's first publication, is withdrawn, though the stamp it
    // was loaded with is older than that (until 2026-12-07 the subtask kept scoring with B).
    QualityRegistry.Entry bAgain = b.stampedAt(now.minusSeconds(120));
    try (var running =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(rollback.render()), ScoreAndRoute.MODELS)) {
      running.processBroadcastElement(b.announcement(), 1);
      running.processElement(image(), 2); // B loaded, stamped as first published
      running.processBroadcastElement(a.stampedAt(now.minusSeconds(150)).announcement(), 3);
      running.processElement(image(), 4);
      save(rollback, bAgain);
      running.processBroadcastElement(bAgain.announcement(b.createdAt()), 5);
      running.processElement(image(), 6);
      running.processBroadcastElement(a.announcement(now.minusSeconds(150)), 7);
      running.processElement(image(), 8);
      assertThat(stamps(running))
          .containsExactly(b.version(), b.version(), b.version(), c.version());
    }

    // X, trained after W (by their names), published first; then W, for the first time, and W's
    // parameters cannot be read: W goes forward from X, so a running subtask keeps X, and a
    // fresh one falls back to it. (Until 2026-12-07 the names decided, and X was taken for a
    // version rolled back from: new images went unscored, or on a version older than X.)
    MemescopeConfig overlapping = stack("overlapping");
    QualityRegistry.Entry y = entry(spec, "q-20261129T000000Z-1111", now.minusSeconds(300), 5);
    QualityRegistry.Entry x = entry(spec, "q-20261203T001000Z-2222", now.minusSeconds(200), 6);
    QualityRegistry.Entry w =
        withParams(y, "q-20261203T000000Z-3333", now.minusSeconds(100), new byte[] {1, 2, 3});
    save(overlapping, y, x, w);
    try (var running =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(overlapping.render()), ScoreAndRoute.MODELS)) {
      running.processBroadcastElement(y.announcement(), 1);
      running.processBroadcastElement(x.announcement(), 2);
      running.processElement(image(), 3);
      running.processBroadcastElement(w.announcement(), 4);
      running.processElement(image(), 5);
      assertThat(stamps(running)).containsExactly(x.version(), x.version());
    }
    assertThat(stampsAfter(overlapping, y.announcement(), x.announcement(), w.announcement()))
        .containsExactly(x.version());

    // D live, then E announced twice (its first announcement's command failed half-way); F was
    // registered in between and never announced, so the registry's order would give F.
    MemescopeConfig twice = stack("twice");
    QualityRegistry.Entry d = entry(spec, "q-20261125T000000Z-dddd", now.minusSeconds(300), 3);
    QualityRegistry.Entry f = entry(spec, "q-20261125T120000Z-ffff", now.minusSeconds(250), 4);
    QualityRegistry.Entry e =
        withParams(d, "q-20261126T000000Z-eeee", now.minusSeconds(200), new byte[] {1, 2, 3});
    QualityRegistry.Entry eAgain = e.stampedAt(now.minusSeconds(100));
    save(twice, d, f, eAgain);
    assertThat(
            stampsAfter(
                twice, d.announcement(), e.announcement(), eAgain.announcement(e.createdAt())))
        .containsExactly(d.version());
  }

  /** A fresh subtask's stamps on one image after the given versions were announced, in order. */
  private List<String> stampsAfter(MemescopeConfig config, ModelVersion... announced)
      throws Exception {
    try (var h =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(config.render()), ScoreAndRoute.MODELS)) {
      for (int i = 0; i < announced.length; i++) {
        h.processBroadcastElement(announced[i], i + 1);
      }
      h.processElement(image(), announced.length + 1);
      return stamps(h);
    }
  }

  private static void save(MemescopeConfig config, QualityRegistry.Entry... entries) {
    try (var session = Clients.cassandraKeyspace(config.cassandra())) {
      QualityRegistry registry = new QualityRegistry(session);
      for (QualityRegistry.Entry e : entries) {
        registry.save(e);
      }
    }
  }

  @Test
  void a_model_for_embeddings_of_another_length_leaves_images_unscored_until_one_that_fits()
      throws Exception {
    MemescopeConfig config = stack("mismatch");
    // Trained on 16-dimensional embeddings (another embedder); the job's are 8-dimensional.
    QualitySpec wide = new QualitySpec(List.of("funny"), 2 * DIM, List.of(4), 2, 0.0);
    QualitySpec fits = new QualitySpec(List.of("funny"), DIM, List.of(4), 2, 0.0);
    Instant now = Instant.now();
    QualityRegistry.Entry other = entry(wide, "q-other-embedder", now.minusSeconds(120), 1);
    QualityRegistry.Entry next = entry(fits, "q-this-embedder", now.minusSeconds(60), 2);
    try (var session = Clients.cassandraKeyspace(config.cassandra())) {
      QualityRegistry registry = new QualityRegistry(session);
      registry.save(other);
      registry.save(next);
    }
    try (var h =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new ScoreAndRoute(config.render()), ScoreAndRoute.MODELS)) {
      h.processBroadcastElement(other.announcement(), 1);
      for (int i = 0; i < 3; i++) {
        h.processElement(image(), 2 + i);
      }
      h.processBroadcastElement(next.announcement(), 5);
      h.processElement(image(), 6);
      assertThat(stamps(h)).containsExactly("unscored", "unscored", "unscored", "q-this-embedder");
    }
  }

  /** A keyspace, collection and models topic of the test stack for one test. */
  private static MemescopeConfig stack(String name) {
    return TestStack.isolated(name, "models");
  }

  /** {@code base} as another version, stamped {@code at}, with other parameters. */
  private static QualityRegistry.Entry withParams(
      QualityRegistry.Entry base, String version, Instant at, byte[] params) {
    return new QualityRegistry.Entry(
        version, at, base.spec(), params, base.quantiles(), Map.of(), 100, "{}");
  }

  /** Each output's version, or "unscored". */
  private static List<String> stamps(
      org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness<IndexEffect> h) {
    return h.extractOutputValues().stream()
        .map(e -> e.quality() == null ? "unscored" : e.quality().version())
        .toList();
  }

  private static BroadcastOperatorTestHarness<IndexEffect, ModelVersion, IndexEffect> restored(
      String hocon, OperatorSubtaskState state) throws Exception {
    var h =
        new BroadcastOperatorTestHarness<>(
            new CoBroadcastWithNonKeyedOperator<>(
                new ScoreAndRoute(hocon), List.of(ScoreAndRoute.MODELS)),
            1,
            1,
            0);
    h.initializeState(state);
    h.open();
    return h;
  }

  private static List<String> versions(
      BroadcastOperatorTestHarness<IndexEffect, ModelVersion, IndexEffect> h) {
    return h.extractOutputValues().stream().map(e -> e.quality().version()).toList();
  }

  private IndexEffect image() throws Exception {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) random.nextGaussian();
    }
    String content = "image-" + random.nextLong();
    return IndexEffect.created(DeduplicatorTest.candidate(content, random.nextLong(), content), v);
  }

  private QualityRegistry.Entry entry(QualitySpec spec, String version, Instant at, long seed) {
    try (QualityModel model = QualityModel.create(spec, seed)) {
      float[][] sample = new float[20][spec.embeddingDim()];
      for (float[] row : sample) {
        for (int d = 0; d < row.length; d++) {
          row[d] = (float) random.nextGaussian();
        }
      }
      return new QualityRegistry.Entry(
          version,
          at,
          spec,
          model.save(),
          ScoreQuantiles.of(spec.dimensions(), model.scores(sample)),
          Map.of("accuracy", 0.8),
          100,
          "{}");
    }
  }

  private static void announce(MemescopeConfig config, byte[] value) {
    Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(
          new ProducerRecord<>(config.kafka().topic("models").name(), ModelVersion.KEY, value));
    }
  }
}
