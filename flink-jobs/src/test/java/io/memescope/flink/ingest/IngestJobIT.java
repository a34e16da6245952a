package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.records.UrlNormalizer;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.Schema;
import io.memescope.infra.flink.FlinkRestClient;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.vector.request.QueryReq;
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
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The ingest job on the test stack's Flink cluster, end to end: a corpus of generated memes with
 * exact and near duplicates and a hostile set, published as crawl records; every good image must
 * land once in Milvus and Cassandra, every duplicate must become another URL of its image, every
 * bad URL must be in the rejects topic with its reason, and the job must still be running.
 */
class IngestJobIT {
  static final int GOOD = 300;
  static final int EXACT = 25;
  static final int NEAR = 25;

  @Test
  void a_hostile_corpus_is_indexed_once_and_every_bad_url_rejected_with_its_reason()
      throws Exception {
    TestStack.config();
    String run = TestStack.uniqueName("ingest");
    MemescopeConfig config =
        TestStack.load(
            Map.ofEntries(
                Map.entry("kafka.topics.crawl-urls.name", run + ".crawl.urls"),
                Map.entry("kafka.topics.crawl-urls.partitions", "2"),
                Map.entry("kafka.topics.ingest-indexed.name", run + ".indexed"),
                Map.entry("kafka.topics.ingest-rejects.name", run + ".rejects"),
                Map.entry("milvus.collection", run),
                Map.entry("ingest.job-name", run),
                Map.entry("ingest.checkpoint-interval", "2s"),
                Map.entry("ingest.fetch.allow-private-hosts", "[localhost]"),
                Map.entry("ingest.fetch.timeout", "4s"),
                Map.entry("ingest.fetch.read-timeout", "2s"),
                Map.entry("ingest.fetch.max-bytes", "8m")));
    Schema.apply(config);
    IngestJobs jobs = new IngestJobs(config);
    try (Corpus corpus = new Corpus(GOOD, EXACT, NEAR, run.hashCode())) {
      List<String> urls = new ArrayList<>(corpus.good.keySet());
      urls.addAll(corpus.exactOf.keySet());
      urls.addAll(corpus.nearOf.keySet());
      urls.addAll(corpus.hostile.keySet());
      publish(config, urls);
      publishGarbage(config);

      var submission = jobs.ensureRunning(Path.of(System.getProperty("memescope.jobJar")));
      assertThat(submission.reused()).isFalse();
      assertThat(jobs.ensureRunning(Path.of("unused")).reused())
          .as("a second `up` finds the job running")
          .isTrue();

      assertThat(corpus.nearOf).as("near copies generated").hasSizeGreaterThan(NEAR / 2);
      int expectedEvents = GOOD + EXACT + corpus.nearOf.size();
      int expectedRejects = corpus.hostile.size() + 1;
      Map<String, JsonNode> indexed = new HashMap<>();
      Map<String, JsonNode> rejects = new HashMap<>();
      consume(config, indexed, rejects, expectedEvents, expectedRejects, Duration.ofMinutes(5));

      // Every bad URL is rejected with its reason (the garbage record under bad_record).
      Map<String, String> reasons = new HashMap<>();
      rejects.forEach((k, v) -> reasons.put(k, v.path("reason").asText()));
      for (var bad : corpus.hostile.entrySet()) {
        assertThat(reasons.get(UrlNormalizer.normalise(bad.getKey())))
            .as("reason for %s", bad.getKey())
            .isEqualTo(bad.getValue());
      }
      assertThat(reasons).containsValue("bad_record").hasSize(expectedRejects);

      // Every good image once; duplicates are URLs of their original.
      Map<String, String> idOfUrl = new HashMap<>();
      Map<String, String> kindOfUrl = new HashMap<>();
      indexed.forEach(
          (url, e) -> {
            idOfUrl.put(url, e.path("imageId").asText());
            kindOfUrl.put(url, e.path("kind").asText());
          });
      Set<String> ids = new HashSet<>();
      for (var good : corpus.good.entrySet()) {
        String url = UrlNormalizer.normalise(good.getKey());
        assertThat(kindOfUrl.get(url)).as(url).isEqualTo("new");
        assertThat(idOfUrl.get(url)).isEqualTo(imageId(good.getValue()));
        ids.add(idOfUrl.get(url));
      }
      assertThat(ids).hasSize(GOOD);
      for (var dup : corpus.exactOf.entrySet()) {
        String url = UrlNormalizer.normalise(dup.getKey());
        assertThat(kindOfUrl.get(url)).isEqualTo("exact_duplicate");
        assertThat(idOfUrl.get(url))
            .isEqualTo(idOfUrl.get(UrlNormalizer.normalise(dup.getValue())));
      }
      for (var near : corpus.nearOf.entrySet()) {
        String url = UrlNormalizer.normalise(near.getKey());
        assertThat(kindOfUrl.get(url)).as(url).isEqualTo("near_duplicate");
        assertThat(idOfUrl.get(url))
            .isEqualTo(idOfUrl.get(UrlNormalizer.normalise(near.getValue())));
      }

      // The stores hold exactly those images.
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
        Set<String> inMilvus = new HashSet<>();
        rows.forEach(r -> inMilvus.add((String) r.getEntity().get("id")));
        assertThat(rows).hasSize(GOOD);
        assertThat(inMilvus).isEqualTo(ids);
      } finally {
        milvus.close();
      }
      try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
        int withThumbs = 0;
        for (String id : ids) {
          Row image = cql.execute("SELECT * FROM images WHERE id = ?", id).one();
          assertThat(image).as(id).isNotNull();
          assertThat(image.getLong("byte_size")).isPositive();
          List<Row> thumbs =
              cql.execute("SELECT size, width FROM image_thumbnails WHERE image_id = ?", id).all();
          if (thumbs.size() == 2) {
            withThumbs++;
          }
        }
        assertThat(withThumbs).isEqualTo(GOOD);
        for (var dup : corpus.exactOf.keySet()) {
          Row url =
              cql.execute(
                      "SELECT image_id FROM image_urls WHERE url_hash = ?",
                      io.memescope.core.records.UrlHash.of(UrlNormalizer.normalise(dup)))
                  .one();
          assertThat(url).isNotNull();
          assertThat(url.getString("image_id"))
              .isEqualTo(idOfUrl.get(UrlNormalizer.normalise(dup)));
        }
      }
      FlinkRestClient rest = new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(10));
      assertThat(rest.jobState(submission.jobId()))
          .as("bad input never fails the job")
          .isEqualTo("RUNNING");
    } finally {
      jobs.cancel();
    }
  }

  static String imageId(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
  }

  static void publish(MemescopeConfig config, List<String> urls) throws Exception {
    try (KafkaProducer<String, byte[]> producer = producer(config)) {
      for (String url : urls) {
        CrawlRecord r =
            CrawlRecord.of(
                UrlNormalizer.normalise(url),
                "it",
                Instant.now(),
                "title of " + url,
                null,
                null,
                Map.of());
        producer.send(
            new ProducerRecord<>(
                config.kafka().topic("crawl-urls").name(),
                r.urlHash(),
                Json.mapper().writeValueAsBytes(r)));
      }
    }
  }

  static void publishGarbage(MemescopeConfig config) {
    try (KafkaProducer<String, byte[]> producer = producer(config)) {
      producer.send(
          new ProducerRecord<>(
              config.kafka().topic("crawl-urls").name(), "x", "{not json".getBytes()));
    }
  }

  static KafkaProducer<String, byte[]> producer(MemescopeConfig config) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** Reads the indexed and rejects topics until the expected counts (by URL) or the timeout. */
  static void consume(
      MemescopeConfig config,
      Map<String, JsonNode> indexed,
      Map<String, JsonNode> rejects,
      int events,
      int rejected,
      Duration timeout)
      throws Exception {
    Properties p = TestStack.consumerProperties(ByteArrayDeserializer.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      String indexedTopic = config.kafka().topic("ingest-indexed").name();
      consumer.subscribe(List.of(indexedTopic, config.kafka().topic("ingest-rejects").name()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while ((indexed.size() < events || rejects.size() < rejected)
          && System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          JsonNode node = Json.mapper().readTree(r.value());
          if (r.topic().equals(indexedTopic)) {
            indexed.put(node.path("url").asText(), node);
          } else {
            rejects.put(
                node.path("url").isNull() || node.path("url").isMissingNode()
                    ? "record:" + node.path("detail").asText()
                    : node.path("url").asText(),
                node);
          }
        }
      }
    }
  }
}
