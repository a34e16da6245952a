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
import io.milvus.v2.service.collection.request.LoadCollectionReq;
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
  static final int GOOD = 1000;
  static final int EXACT = 50;
  static final int NEAR = 50;

  @Test
  void a_hostile_corpus_is_indexed_once_and_every_bad_url_rejected_with_its_reason()
      throws Exception {
    MemescopeConfig config = jobConfig();
    IngestJobs jobs = new IngestJobs(config);
    try (Corpus corpus =
        new Corpus(GOOD, EXACT, NEAR, config.ingest().jobName().hashCode()).withLargeImages()) {
      var submission = publishAndSubmit(config, corpus);
      assertThat(submission.reused()).isFalse();
      assertThat(jobs.ensureRunning(Path.of("unused")).reused())
          .as("a second `up` finds the job running")
          .isTrue();
      checkOutcome(config, corpus, submission.jobId(), c -> {});

      // `ingest status` shows each stage's records as they are now, not as Flink's REST API last
      // fetched them: some URLs published again (dropped as seen, but read), then more than the
      // metric fetcher's 10 s without a request, as between two status commands.
      List<String> again = new ArrayList<>(corpus.good.keySet()).subList(0, 5);
      publish(config, again);
      Thread.sleep(12_000);
      FlinkRestClient rest = new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(10));
      long read = 0;
      for (JsonNode v : rest.jobWithCurrentMetrics(submission.jobId()).path("vertices")) {
        if (v.path("name").asText().startsWith("drop seen URLs")) {
          read += v.path("metrics").path("read-records").asLong();
        }
      }
      assertThat(read)
          .as("records read by the fetching stage: every URL, and the 5 published again")
          .isEqualTo(publishedRecords(corpus) + again.size());

      // Flink's metrics, ours included, in Prometheus format on the TaskManager (loopback only).
      String metrics =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(
                              "http://127.0.0.1:"
                                  + config.flink().taskManagerMetricsPort(0)
                                  + "/metrics"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      java.util.regex.Matcher heapMax =
          java.util.regex.Pattern.compile(
                  "flink_taskmanager_Status_JVM_Memory_Heap_Max(\\{[^}]*\\})? ([0-9.E]+)")
              .matcher(metrics);
      assertThat(heapMax.find()).isTrue();
      assertThat(Double.parseDouble(heapMax.group(2)))
          .as("the TaskManager's heap: Corpus.withLargeImages expects one under 1 GB")
          .isLessThan(1e9);
      java.util.regex.Matcher nativeBudget =
          java.util.regex.Pattern.compile("decode_native_capacity_bytes(\\{[^}]*\\})? ([0-9.E]+)")
              .matcher(metrics);
      assertThat(nativeBudget.find()).as("the native decoding budget's gauge").isTrue();
      assertThat(Double.parseDouble(nativeBudget.group(2)))
          .as("flink.taskmanager.native-image-memory, given to the TaskManager's JVM")
          .isEqualTo(config.flink().taskManagerNativeImageMegabytes() * 1024.0 * 1024.0);
      assertThat(metrics).containsPattern("decode_native_reserved_bytes\\{[^}]*\\} 0\\.0");
      // Every fetched body given back once analysed, the timed-out and rejected ones included.
      assertThat(metrics)
          .containsPattern("fetch_held_bytes\\{[^}]*\\} 0\\.0")
          .doesNotContainPattern("fetch_held_bytes\\{[^}]*\\} (-|[1-9])")
          .containsPattern("fetch_waiting_for_memory\\{[^}]*\\} 0\\.0");
      assertThat(metrics)
          .containsPattern("rejects_timeout\\{[^}]*\\} 1\\.0")
          .containsPattern("indexed_near_duplicate\\{")
          .contains("flink_taskmanager_Status_JVM_Memory_Heap_Used");
    } finally {
      jobs.cancel();
    }
  }

  @Test
  void a_task_manager_killed_mid_ingest_loses_and_duplicates_nothing() throws Exception {
    faultTest("flink-taskmanager-0");
  }

  @Test
  void a_kafka_broker_killed_mid_ingest_loses_and_duplicates_nothing() throws Exception {
    faultTest("kafka");
  }

  @Test
  void cassandra_killed_mid_ingest_loses_and_duplicates_nothing() throws Exception {
    faultTest("cassandra");
  }

  @Test
  void milvus_killed_mid_ingest_loses_and_duplicates_nothing() throws Exception {
    faultTest("milvus");
  }

  /**
   * Kills {@code service} with SIGKILL once a quarter of the images are indexed, restarts it. The
   * job's committer retries what it could not write (Cassandra, Milvus) and the job restarts from
   * its checkpoint where a process of its own died (TaskManager) or its source went away (Kafka);
   * either way the stores end with every image exactly once.
   */
  private static void faultTest(String service) throws Exception {
    MemescopeConfig config = jobConfig();
    IngestJobs jobs = new IngestJobs(config);
    try (Corpus corpus = new Corpus(400, 20, 20, config.ingest().jobName().hashCode())) {
      var submission = publishAndSubmit(config, corpus);
      checkOutcome(
          config,
          corpus,
          submission.jobId(),
          indexed -> {
            if (indexed == 100) {
              kill(service);
            }
          });
      if (service.startsWith("flink-taskmanager")) {
        // What `ingest status` reports of it: the restart and the failure behind it.
        FlinkRestClient rest =
            new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(10));
        FlinkRestClient.Failures failures = rest.failures(submission.jobId(), 100);
        assertThat(failures.count()).isPositive();
        assertThat(failures.latest()).isNotBlank();
        System.out.println("[fault] failures: " + failures);
      }
    } finally {
      jobs.cancel();
    }
  }

  static void kill(String service) {
    MemescopeConfig stack = TestStack.config();
    try {
      ProcessHandle process = TestStack.process(service);
      long pid = process.pid();
      process.destroyForcibly();
      process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
      System.out.println("[fault] killed " + service + " (pid " + pid + ")");
      Thread.sleep(3_000);
      var local = new io.memescope.infra.stack.LocalStack(stack);
      local.up(List.of(service), (s, m) -> System.out.println("[fault] " + s + ": " + m));
    } catch (Exception e) {
      throw new IllegalStateException("could not kill and restart " + service, e);
    }
  }

  /**
   * Settings for one run of the job on the test stack: topics, collection and job name of its own
   * (the takedowns topic too, so that no other test's takedowns block this run's images).
   */
  static MemescopeConfig jobConfig() {
    TestStack.config();
    String run = TestStack.uniqueName("ingest");
    MemescopeConfig config =
        TestStack.load(
            Map.ofEntries(
                Map.entry("kafka.topics.crawl-urls.name", run + ".crawl.urls"),
                Map.entry("kafka.topics.crawl-urls.partitions", "2"),
                Map.entry("kafka.topics.ingest-indexed.name", run + ".indexed"),
                Map.entry("kafka.topics.ingest-rejects.name", run + ".rejects"),
                Map.entry("kafka.topics.takedowns.name", run + ".takedowns"),
                Map.entry("milvus.collection", run),
                Map.entry("ingest.job-name", run),
                Map.entry("ingest.checkpoint-interval", "2s"),
                Map.entry("ingest.fetch.allow-private-hosts", "[localhost]"),
                Map.entry("ingest.fetch.timeout", "4s"),
                Map.entry("ingest.fetch.read-timeout", "2s"),
                Map.entry("ingest.fetch.max-bytes", "8m"),
                // Above the 100-megapixel GIF of Corpus.withLargeImages: the heap refuses it.
                Map.entry("model.max-pixels", "120000000")));
    Schema.apply(config);
    return config;
  }

  /** The crawl records {@link #publishAndSubmit} publishes that parse: one per URL. */
  private static long publishedRecords(Corpus corpus) {
    return corpus.good.size()
        + corpus.exactOf.size()
        + corpus.nearOf.size()
        + corpus.hostile.size();
  }

  private static IngestJobs.Submission publishAndSubmit(MemescopeConfig config, Corpus corpus)
      throws Exception {
    List<String> urls = new ArrayList<>(corpus.good.keySet());
    urls.addAll(corpus.exactOf.keySet());
    urls.addAll(corpus.nearOf.keySet());
    urls.addAll(corpus.hostile.keySet());
    java.util.Collections.shuffle(urls, new java.util.Random(7));
    String longTitled = longTitleUrl(corpus);
    urls.remove(longTitled);
    publish(config, urls);
    publish(config, List.of(longTitled), u -> LONG_TITLE);
    publishGarbage(config);
    return new IngestJobs(config).ensureRunning(Path.of(System.getProperty("memescope.jobJar")));
  }

  /**
   * Waits for every URL to be indexed or rejected (calling {@code progress} with the number of
   * indexed URLs so far), then checks the topics, Milvus and Cassandra against the corpus.
   */
  private static void checkOutcome(
      MemescopeConfig config, Corpus corpus, String jobId, java.util.function.IntConsumer progress)
      throws Exception {
    {
      assertThat(corpus.nearOf).as("near copies generated").isNotEmpty();
      int goodCount = corpus.good.size();
      int expectedEvents = goodCount + corpus.exactOf.size() + corpus.nearOf.size();
      int expectedRejects = corpus.hostile.size() + 2; // and the two bad records
      Map<String, JsonNode> indexed = new HashMap<>();
      Map<String, JsonNode> rejects = new HashMap<>();
      consume(
          config,
          indexed,
          rejects,
          expectedEvents,
          expectedRejects,
          Duration.ofMinutes(6),
          progress);

      // Every bad URL is rejected with its reason (the garbage record under bad_record).
      Map<String, String> reasons = new HashMap<>();
      rejects.forEach((k, v) -> reasons.put(k, v.path("reason").asText()));
      String heapBomb = UrlNormalizer.normalise(corpus.base + "/bad/heap-bomb.gif");
      if (corpus.hostile.containsKey(corpus.base + "/bad/heap-bomb.gif")) {
        assertThat(rejects).containsKey(heapBomb);
        assertThat(rejects.get(heapBomb).path("detail").asText())
            .as("the GIF that fits the pixel limit but not the heap")
            .contains("10000x10000 P would take about")
            .contains("this process sets aside for images");
      }
      for (var bad : corpus.hostile.entrySet()) {
        assertThat(reasons.get(UrlNormalizer.normalise(bad.getKey())))
            .as("reason for %s", bad.getKey())
            .isEqualTo(bad.getValue());
      }
      assertThat(reasons).containsValue("bad_record").hasSize(expectedRejects);
      String tooLong = "url is " + LONG_URL.length() + " bytes long, at most 8192 are taken";
      assertThat(reasons.entrySet())
          .as("the record with a URL of %d characters", LONG_URL.length())
          .anySatisfy(
              r -> {
                assertThat(r.getKey()).contains(tooLong);
                assertThat(r.getValue()).isEqualTo("bad_record");
              });

      // Every good image once; duplicates are URLs of their original.
      Map<String, String> idOfUrl = new HashMap<>();
      Map<String, String> kindOfUrl = new HashMap<>();
      indexed.forEach(
          (url, e) -> {
            idOfUrl.put(url, e.path("imageId").asText());
            kindOfUrl.put(url, e.path("kind").asText());
          });
      // Each original with its copies is one image: one URL of the group is "new" (whichever
      // arrived first; the URLs are published shuffled), the others are duplicates of it, and
      // the image id is the SHA-256 prefix of the bytes of the URL that came first.
      Map<String, List<String>> groups = new HashMap<>();
      corpus.good.keySet().forEach(u -> groups.computeIfAbsent(u, k -> new ArrayList<>()).add(u));
      corpus.exactOf.forEach((copy, original) -> groups.get(original).add(copy));
      corpus.nearOf.forEach((copy, original) -> groups.get(original).add(copy));
      Set<String> ids = new HashSet<>();
      for (var group : groups.entrySet()) {
        List<String> members = group.getValue().stream().map(UrlNormalizer::normalise).toList();
        List<String> created =
            members.stream().filter(u -> "new".equals(kindOfUrl.get(u))).toList();
        assertThat(created).as("the URL indexed as new among %s", members).hasSize(1);
        String id = idOfUrl.get(created.get(0));
        for (String u : members) {
          assertThat(idOfUrl.get(u)).as(u).isEqualTo(id);
          if (!u.equals(created.get(0))) {
            boolean sameBytes =
                java.util.Arrays.equals(corpus.bytes(u), corpus.bytes(created.get(0)));
            assertThat(kindOfUrl.get(u))
                .as(u)
                .isEqualTo(sameBytes ? "exact_duplicate" : "near_duplicate");
          }
        }
        byte[] firstBytes = corpus.bytes(created.get(0));
        assertThat(id).isEqualTo(imageId(firstBytes));
        ids.add(id);
      }
      assertThat(ids).hasSize(goodCount);

      // The stores hold exactly those images.
      MilvusClientV2 milvus = Clients.milvus(config.milvus());
      try {
        // A restarted Milvus Lite has every collection released, refusing queries until it is
        // loaded again, as `up` and the serving API do (a no-op on a loaded collection).
        milvus.loadCollection(
            LoadCollectionReq.builder().collectionName(config.milvus().collection()).build());
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
        assertThat(rows).hasSize(goodCount);
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
        assertThat(withThumbs).isEqualTo(goodCount);
        // A 100,000-character title is indexed, cut to 1,000 characters (whole, it would take
        // the index writer's batch past Cassandra's limit and hold every commit after it).
        Row titled =
            cql.execute(
                    "SELECT title FROM image_urls WHERE url_hash = ?",
                    io.memescope.core.records.UrlHash.of(
                        UrlNormalizer.normalise(longTitleUrl(corpus))))
                .one();
        assertThat(titled).isNotNull();
        assertThat(titled.getString("title")).hasSize(ParseRecords.MAX_TEXT);
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
      assertThat(rest.jobState(jobId)).as("bad input never fails the job").isEqualTo("RUNNING");
    }
  }

  static String imageId(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
  }

  static final String LONG_TITLE = "t".repeat(100_000);
  static final String LONG_URL = "http://localhost:1/" + "u".repeat(9_000) + ".png";

  /** The good URL published with {@link #LONG_TITLE}. */
  private static String longTitleUrl(Corpus corpus) {
    return corpus.good.keySet().stream().sorted().findFirst().orElseThrow();
  }

  static void publish(MemescopeConfig config, List<String> urls) throws Exception {
    publish(config, urls, url -> "title of " + url);
  }

  static void publish(
      MemescopeConfig config, List<String> urls, java.util.function.UnaryOperator<String> title)
      throws Exception {
    try (KafkaProducer<String, byte[]> producer = producer(config)) {
      for (String url : urls) {
        // Built whole, not by CrawlRecord.of (which cuts the text): the job bounds what any
        // producer sends.
        String normalised = UrlNormalizer.normalise(url);
        CrawlRecord r =
            new CrawlRecord(
                CrawlRecord.VERSION,
                normalised,
                io.memescope.core.records.UrlHash.of(normalised),
                "it",
                Instant.now(),
                title.apply(url),
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

  /** A record that is not JSON, and one whose URL is longer than the stores take. */
  static void publishGarbage(MemescopeConfig config) throws Exception {
    try (KafkaProducer<String, byte[]> producer = producer(config)) {
      producer.send(
          new ProducerRecord<>(
              config.kafka().topic("crawl-urls").name(), "x", "{not json".getBytes()));
      CrawlRecord longUrl =
          new CrawlRecord(
              CrawlRecord.VERSION,
              LONG_URL,
              io.memescope.core.records.UrlHash.of(LONG_URL),
              "it",
              Instant.now(),
              null,
              null,
              null,
              Map.of());
      producer.send(
          new ProducerRecord<>(
              config.kafka().topic("crawl-urls").name(),
              longUrl.urlHash(),
              Json.mapper().writeValueAsBytes(longUrl)));
    }
  }

  static KafkaProducer<String, byte[]> producer(MemescopeConfig config) {
    Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** Reads the indexed and rejects topics until the expected counts (by URL) or the timeout. */
  static void consume(
      MemescopeConfig config,
      Map<String, JsonNode> indexed,
      Map<String, JsonNode> rejects,
      int events,
      int rejected,
      Duration timeout,
      java.util.function.IntConsumer progress)
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
            if (indexed.put(node.path("url").asText(), node) == null) {
              progress.accept(indexed.size());
            }
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
