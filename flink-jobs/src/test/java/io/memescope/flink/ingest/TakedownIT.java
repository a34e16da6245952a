package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import io.memescope.core.records.UrlHash;
import io.memescope.core.records.UrlNormalizer;
import io.memescope.core.schema.Clients;
import io.memescope.infra.flink.FlinkRestClient;
import io.memescope.infra.flink.IngestJobs;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.QueryReq;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Takedowns end to end on the test stack's Flink cluster: images are ingested, one is taken down as
 * the serving API does it (removed from Milvus and Cassandra, recorded in {@code takedowns},
 * published to the takedowns topic, after a malformed record there), and then its bytes under a new
 * URL and a re-encoded near copy of it are both rejected as {@code taken_down} and write nothing,
 * while a copy of another image still merges, and the job keeps running.
 */
class TakedownIT {
  static final int GOOD = 12;

  @Test
  void a_taken_down_image_is_not_ingested_again_neither_its_bytes_nor_a_near_copy()
      throws Exception {
    MemescopeConfig config = IngestJobIT.jobConfig();
    IngestJobs jobs = new IngestJobs(config);
    try (Corpus corpus = new Corpus(GOOD, 3, 6, config.ingest().jobName().hashCode())) {
      // The victim is an image with a near copy (the first exact copies belong to others).
      assertThat(corpus.nearOf).as("near copies generated").isNotEmpty();
      var near = corpus.nearOf.entrySet().iterator().next();
      String victimUrl = near.getValue();
      String nearUrl = near.getKey();
      String repostUrl = victimUrl + "?repost=1"; // the server ignores the query: the same bytes
      String controlUrl = corpus.exactOf.keySet().iterator().next(); // a copy of another image
      assertThat(corpus.exactOf.get(controlUrl)).isNotEqualTo(victimUrl);

      // 1. The originals are ingested.
      IngestJobIT.publish(config, new ArrayList<>(corpus.good.keySet()));
      var submission = jobs.ensureRunning(Path.of(System.getProperty("memescope.jobJar", "unset")));
      Map<String, JsonNode> indexed = new HashMap<>();
      Map<String, JsonNode> rejects = new HashMap<>();
      IngestJobIT.consume(config, indexed, rejects, GOOD, 0, Duration.ofMinutes(4), n -> {});
      assertThat(indexed).hasSize(GOOD);
      String victimId = IngestJobIT.imageId(corpus.bytes(victimUrl));
      assertThat(indexed.get(UrlNormalizer.normalise(victimUrl)).path("imageId").asText())
          .isEqualTo(victimId);

      // 2. The takedown, as the API does it: out of the stores, into its table and the topic.
      Takedown takedown = takeDown(config, victimId, UrlNormalizer.normalise(victimUrl));
      try (KafkaProducer<String, byte[]> producer = IngestJobIT.producer(config)) {
        String topic = config.kafka().topic("takedowns").name();
        producer.send(
            new ProducerRecord<>(
                topic, "junk", "{not a takedown".getBytes(StandardCharsets.UTF_8)));
        producer.send(new ProducerRecord<>(topic, takedown.sha256(), Json.write(takedown)));
      }
      FlinkRestClient rest = new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(10));
      awaitMetric(rest, submission.jobId(), "takedowns_applied", 1, Duration.ofMinutes(1));
      assertThat(metric(rest, submission.jobId(), "takedowns_malformed"))
          .as("the malformed takedown record, skipped")
          .isEqualTo(1.0);

      // 3. The same bytes under a new URL and a near copy: rejected. A copy of another: merged.
      IngestJobIT.publish(config, List.of(repostUrl, nearUrl, controlUrl));
      IngestJobIT.consume(config, indexed, rejects, GOOD + 1, 2, Duration.ofMinutes(3), n -> {});
      for (String url : List.of(repostUrl, nearUrl)) {
        String u = UrlNormalizer.normalise(url);
        assertThat(rejects.get(u)).as("reject of %s", u).isNotNull();
        assertThat(rejects.get(u).path("reason").asText()).isEqualTo("taken_down");
        assertThat(rejects.get(u).path("stage").asText()).isEqualTo("dedup");
        assertThat(indexed).as("indexed events").doesNotContainKey(u);
      }
      assertThat(rejects).hasSize(2);
      assertThat(indexed.get(UrlNormalizer.normalise(controlUrl)).path("kind").asText())
          .isEqualTo("exact_duplicate");

      // Nothing was written for them: a checkpoint later, the stores are as the takedown left them.
      Thread.sleep(3 * config.ingest().checkpointInterval().toMillis());
      IngestJobIT.consume(config, indexed, rejects, GOOD + 1, 2, Duration.ofSeconds(5), n -> {});
      assertThat(indexed).hasSize(GOOD + 1);
      try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
        assertThat(cql.execute("SELECT id FROM images WHERE id = ?", victimId).one())
            .as("the taken-down image's row, which a merge would bring back")
            .isNull();
        for (String url : List.of(repostUrl, nearUrl)) {
          String u = UrlNormalizer.normalise(url);
          assertThat(
                  cql.execute("SELECT url FROM image_urls WHERE url_hash = ?", UrlHash.of(u)).one())
              .as(u)
              .isNull();
        }
      }
      MilvusClientV2 milvus = Clients.milvus(config.milvus());
      try {
        var rows =
            milvus
                .query(
                    QueryReq.builder()
                        .collectionName(config.milvus().collection())
                        .filter("id != \"\"")
                        .outputFields(List.of("id"))
                        .consistencyLevel(ConsistencyLevel.STRONG)
                        .limit(16_384)
                        .build())
                .getQueryResults();
        assertThat(rows).hasSize(GOOD - 1);
        assertThat(rows).noneMatch(r -> victimId.equals(r.getEntity().get("id")));
      } finally {
        milvus.close();
      }
      assertThat(rest.jobState(submission.jobId())).isEqualTo("RUNNING");
    } finally {
      jobs.cancel();
    }
  }

  /**
   * Takes {@code imageId} down as the serving API does (records it in {@code takedowns} and {@code
   * takedowns_by_image}, removes it from Cassandra and Milvus) and returns the record the API
   * publishes, with the hashes as the job stored them.
   */
  static Takedown takeDown(MemescopeConfig config, String imageId, String url) {
    Takedown takedown;
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      Row image = cql.execute("SELECT sha256, phash FROM images WHERE id = ?", imageId).one();
      assertThat(image).as("image %s in Cassandra", imageId).isNotNull();
      takedown =
          Takedown.of(
              imageId, image.getString("sha256"), image.getLong("phash"), "it", Instant.now());
      record(cql, takedown);
      cql.execute("DELETE FROM image_urls WHERE url_hash = ?", UrlHash.of(url));
      cql.execute("DELETE FROM image_thumbnails WHERE image_id = ?", imageId);
      cql.execute("DELETE FROM images WHERE id = ?", imageId);
    }
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      milvus.delete(
          DeleteReq.builder()
              .collectionName(config.milvus().collection())
              .ids(List.of(imageId))
              .build());
    } finally {
      milvus.close();
    }
    return takedown;
  }

  /** Records a takedown in both tables, as the serving API does before it deletes anything. */
  static void record(CqlSession cql, Takedown takedown) {
    record(cql, takedown, true);
  }

  /**
   * Records a takedown in {@code takedowns}, and with {@code byId} also in {@code
   * takedowns_by_image}; without it, as a takedown recorded before migration V008 looks.
   */
  static void record(CqlSession cql, Takedown takedown, boolean byId) {
    cql.execute(
        "INSERT INTO takedowns (sha256, image_id, phash, reason, taken_down_at)"
            + " VALUES (?, ?, ?, ?, ?)",
        takedown.sha256(),
        takedown.imageId(),
        takedown.phash(),
        takedown.reason(),
        takedown.at());
    if (byId) {
      cql.execute(
          "INSERT INTO takedowns_by_image (image_id, sha256, taken_down_at) VALUES (?, ?, ?)",
          takedown.imageId(),
          takedown.sha256(),
          takedown.at());
    }
  }

  /** The sum over the job's vertices of the counter {@code name} (0 before it is registered). */
  static double metric(FlinkRestClient rest, String jobId, String name) {
    double sum = 0;
    for (JsonNode v : rest.job(jobId).path("vertices")) {
      String vid = v.path("id").asText();
      List<String> ids =
          rest.vertexMetricIds(jobId, vid).stream().filter(n -> n.endsWith("." + name)).toList();
      for (double value : rest.vertexMetricSums(jobId, vid, ids).values()) {
        sum += value;
      }
    }
    return sum;
  }

  static void awaitMetric(
      FlinkRestClient rest, String jobId, String name, double atLeast, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    double value = 0;
    while (System.nanoTime() < deadline) {
      value = metric(rest, jobId, name);
      if (value >= atLeast) {
        return;
      }
      Thread.sleep(500);
    }
    assertThat(value).as("metric %s after %s", name, timeout).isGreaterThanOrEqualTo(atLeast);
  }
}
