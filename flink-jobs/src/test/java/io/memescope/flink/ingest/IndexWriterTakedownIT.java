package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import io.memescope.core.records.UrlHash;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.Schema;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.QueryReq;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The index writer and takedowns that race the ingest job, against the test stack's stores. The
 * de-duplicator refuses taken-down content once it has read the takedown, but an effect decided
 * before that still reaches the writer a checkpoint interval later (or again, in a retried commit).
 * Each case checks what the stores hold afterwards and what went to the indexed and rejects topics.
 */
class IndexWriterTakedownIT {
  private static MemescopeConfig config;
  private static String run;
  private static CqlSession cql;
  private static MilvusClientV2 milvus;
  // Unseeded: the takedown tables are shared by every run of these tests on the stack.
  private final Random random = new Random();

  @BeforeAll
  static void setUp() {
    TestStack.config();
    run = TestStack.uniqueName("takedown_writer");
    config =
        TestStack.load(
            Map.of(
                "milvus.collection", run,
                "kafka.topics.ingest-indexed.name", run + ".indexed",
                "kafka.topics.ingest-rejects.name", run + ".rejects"));
    Schema.apply(config);
    cql = Clients.cassandraKeyspace(config.cassandra());
    milvus = Clients.milvus(config.milvus());
  }

  @AfterAll
  static void tearDown() {
    if (cql != null) {
      cql.close();
    }
    if (milvus != null) {
      milvus.close();
    }
  }

  @Test
  void a_merge_or_a_retried_new_image_after_its_takedown_writes_nothing_and_is_rejected()
      throws Exception {
    IndexEffect victim = created("victim");
    IndexEffect other = created("other");
    try (IndexWriter writer = new IndexWriter(config)) {
      assertThat(writer.write(List.of(victim, other))).isEmpty();
      assertThat(inMilvus(victim.imageId())).isTrue();

      takeDown(victim.image(), true, true); // the whole takedown, as the API does it

      IndexEffect merge = merged(victim.imageId(), "victim-repost");
      IndexEffect control = merged(other.imageId(), "other-repost");
      // A merge decided before the job read the takedown, the victim's own commit retried, and a
      // merge into another image in the same batch.
      assertThat(writer.write(List.of(merge, victim, control))).containsExactly(victim.imageId());
    }
    assertGone(victim, "victim-repost");
    assertThat(cql.execute("SELECT titles FROM images WHERE id = ?", other.imageId()).one())
        .isNotNull();
    assertThat(urlRow("other-repost")).as("the control merge").isNotNull();

    Map<String, JsonNode> rejects =
        read(run + ".rejects", Set.of(UrlHash.of(url("victim-repost")), UrlHash.of(url("victim"))));
    for (String path : List.of("victim-repost", "victim")) {
      JsonNode r = rejects.get(UrlHash.of(url(path)));
      assertThat(r).as("reject of %s", path).isNotNull();
      assertThat(r.path("stage").asText()).isEqualTo("index");
      assertThat(r.path("reason").asText()).isEqualTo("taken_down");
      assertThat(r.path("url").asText()).isEqualTo(url(path));
    }
    Map<String, JsonNode> indexed =
        read(
            run + ".indexed",
            Set.of(
                UrlHash.of(url("victim")),
                UrlHash.of(url("other")),
                UrlHash.of(url("other-repost"))));
    assertThat(indexed).containsKeys(UrlHash.of(url("victim")), UrlHash.of(url("other")));
    assertThat(indexed.get(UrlHash.of(url("other-repost"))).path("kind").asText())
        .isEqualTo(IndexEffect.EXACT);
    assertThat(indexed).doesNotContainKey(UrlHash.of(url("victim-repost")));
  }

  @Test
  void a_stale_listing_of_a_taken_down_image_leaves_the_url_row_of_another_image()
      throws Exception {
    // The URL "shared" is listed for a live image; a listing of it for another image, discovered
    // earlier (a file edited in place, a replay after the seen-URL memory expired), reaches the
    // writer after that other image was taken down.
    IndexEffect live = created("shared");
    IndexEffect gone = created("gone");
    try (IndexWriter writer = new IndexWriter(config)) {
      assertThat(writer.write(List.of(live, gone))).isEmpty();
      takeDown(gone.image(), true, true);
      UrlInfo earlier = info("shared");
      UrlInfo stale =
          new UrlInfo(
              earlier.url(),
              earlier.urlHash(),
              earlier.seenKey() + "-edited",
              earlier.source(),
              earlier.title(),
              earlier.page(),
              earlier.author(),
              earlier.discoveredAt() - 60_000,
              Map.of());
      assertThat(
              writer.write(
                  List.of(IndexEffect.merged(IndexEffect.EXACT, gone.imageId(), stale, 0))))
          .containsExactly(gone.imageId());
    }
    var row =
        cql.execute("SELECT image_id FROM image_urls WHERE url_hash = ?", UrlHash.of(url("shared")))
            .one();
    assertThat(row).as("the live image's URL row (until 2026-12-07 deleted)").isNotNull();
    assertThat(row.getString("image_id")).isEqualTo(live.imageId());
  }

  @Test
  void a_new_image_whose_content_was_taken_down_before_the_record_by_id_existed_is_not_written()
      throws Exception {
    // Takedowns recorded before takedowns_by_image was created are only in takedowns, by SHA-256:
    // a job started without state can meet such content before it has read the takedowns topic.
    IndexEffect old = created("old-takedown");
    takeDown(old.image(), false, false);
    IndexEffect merge = merged(old.imageId(), "old-takedown-repost");
    try (IndexWriter writer = new IndexWriter(config)) {
      assertThat(writer.write(List.of(old))).containsExactly(old.imageId());
      // Found by content, the takedown is now recorded by id too: a URL merged into that id later
      // (the de-duplicator had indexed the image) is caught although it carries no SHA-256.
      assertThat(
              cql.execute("SELECT sha256 FROM takedowns_by_image WHERE image_id = ?", old.imageId())
                  .one())
          .isNotNull();
      assertThat(writer.write(List.of(merge))).containsExactly(old.imageId());
    }
    assertGone(old, "old-takedown", "old-takedown-repost");
  }

  @Test
  void a_commit_retried_after_a_takedown_removes_what_its_failed_attempt_wrote() throws Exception {
    IndexEffect image = created("retried");
    IndexEffect merge = merged(image.imageId(), "retried-repost");
    try (IndexWriter writer = new IndexWriter(config)) {
      // The first attempt wrote everything, then failed before Flink heard of it (here: it simply
      // returns). The takedown is recorded, and the API stops before deleting anything.
      assertThat(writer.write(List.of(image, merge))).isEmpty();
      assertThat(inMilvus(image.imageId())).isTrue();
      takeDown(image.image(), true, false);
      // The retry finds the takedown before writing, and still removes the first attempt's rows.
      assertThat(writer.write(List.of(image, merge))).containsExactly(image.imageId());
    }
    assertGone(image, "retried", "retried-repost");
  }

  @Test
  void a_takedown_recorded_while_the_batch_is_being_written_removes_what_was_written()
      throws Exception {
    IndexEffect late = created("late");
    IndexEffect kept = created("kept");
    try (IndexWriter writer = new IndexWriter(config)) {
      // The takedown is recorded after the writer's first read and after its writes were
      // acknowledged, and the API then stops (nothing deleted): the writer removes its own writes.
      writer.afterStore =
          () -> {
            assertThat(inMilvus(late.imageId())).as("written before the takedown").isTrue();
            takeDown(late.image(), true, false);
          };
      assertThat(writer.write(List.of(late, kept))).containsExactly(late.imageId());
    }
    assertGone(late, "late");
    assertThat(inMilvus(kept.imageId())).isTrue();
    assertThat(cql.execute("SELECT titles FROM images WHERE id = ?", kept.imageId()).one())
        .isNotNull();
  }

  private void assertGone(IndexEffect image, String... paths) {
    String id = image.imageId();
    assertThat(cql.execute("SELECT id FROM images WHERE id = ?", id).one())
        .as("image row of %s", id)
        .isNull();
    assertThat(cql.execute("SELECT size FROM image_thumbnails WHERE image_id = ?", id).all())
        .as("thumbnails of %s", id)
        .isEmpty();
    for (String path : paths) {
      assertThat(urlRow(path)).as("URL row of %s", path).isNull();
    }
    assertThat(urlRow(image.info().url().substring(image.info().url().lastIndexOf('/') + 1)))
        .isNull();
    assertThat(inMilvus(id)).as("vector of %s", id).isFalse();
  }

  /** Records a takedown of {@code c}; {@code byId} also in the table by id; then deletes. */
  private void takeDown(Candidate c, boolean byId, boolean delete) {
    TakedownIT.record(
        cql, Takedown.of(c.imageId(), c.sha256(), c.phash(), "test", Instant.now()), byId);
    if (delete) {
      milvus.delete(
          DeleteReq.builder()
              .collectionName(config.milvus().collection())
              .ids(List.of(c.imageId()))
              .build());
      cql.execute("DELETE FROM image_urls WHERE url_hash = ?", c.info().urlHash());
      cql.execute("DELETE FROM image_thumbnails WHERE image_id = ?", c.imageId());
      cql.execute("DELETE FROM images WHERE id = ?", c.imageId());
    }
  }

  private boolean inMilvus(String id) {
    return !milvus
        .query(
            QueryReq.builder()
                .collectionName(config.milvus().collection())
                .filter("id == \"" + id + "\"")
                .outputFields(List.of("id"))
                .consistencyLevel(ConsistencyLevel.STRONG)
                .build())
        .getQueryResults()
        .isEmpty();
  }

  private Object urlRow(String path) {
    return cql.execute("SELECT url FROM image_urls WHERE url_hash = ?", UrlHash.of(url(path)))
        .one();
  }

  private static String url(String path) {
    return "http://example.test/" + run + "/" + path;
  }

  private static UrlInfo info(String path) {
    String url = url(path);
    return new UrlInfo(
        url,
        UrlHash.of(url),
        UrlHash.of(url),
        "it",
        path,
        null,
        null,
        1_700_000_000_000L,
        Map.of());
  }

  private IndexEffect created(String path) {
    byte[] sha = new byte[32];
    random.nextBytes(sha);
    String sha256 = HexFormat.of().formatHex(sha);
    float[] vector = new float[64];
    for (int d = 0; d < vector.length; d++) {
      vector[d] = (float) random.nextGaussian();
    }
    Candidate c =
        new Candidate(
            info(path),
            sha256.substring(0, 32),
            sha256,
            random.nextLong(),
            10,
            10,
            "png",
            100,
            null,
            List.of(new Thumb("small", "jpeg", 10, 10, new byte[100])));
    return IndexEffect.created(c, vector);
  }

  private static IndexEffect merged(String imageId, String path) {
    return IndexEffect.merged(IndexEffect.EXACT, imageId, info(path), 0);
  }

  /** The records of {@code topic} by URL hash, once every one of {@code keys} is there (30 s). */
  private static Map<String, JsonNode> read(String topic, Set<String> keys) throws Exception {
    Properties p = TestStack.consumerProperties(ByteArrayDeserializer.class);
    Map<String, JsonNode> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!out.keySet().containsAll(keys) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          JsonNode node = Json.mapper().readTree(r.value());
          out.put(node.path("urlHash").asText(), node);
        }
      }
      // A record that should not be there was sent before these: read a little longer to see it.
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofSeconds(2))) {
        JsonNode node = Json.mapper().readTree(r.value());
        out.put(node.path("urlHash").asText(), node);
      }
    }
    assertThat(out).as("records on %s", topic).containsKeys(keys.toArray(new String[0]));
    return out;
  }
}
