package io.memescope.infra.flink;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.records.UrlHash;
import io.memescope.core.schema.Clients;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code memescope ingest retry}: publishes again the URLs the ingest job rejected for a reason
 * that may have passed (a host that was down, a timeout, a setting since fixed), so that a failure
 * loses nothing for good. It reads the rejects topic over a time window, keeps each URL's latest
 * rejection, leaves out URLs that are indexed by now (Cassandra's {@code image_urls}), and
 * publishes the rest to the crawl topic with a retry mark in {@link CrawlRecord#CONTENT_VERSION}:
 * the job's seen-URL filter takes that as new content and fetches the URL once more. The title and
 * page of the first record are not in the rejects topic, so a retried URL comes without them.
 */
public final class IngestRetry {
  /** The reasons retried by default: failures of the moment, not of the content. */
  public static final Set<String> TRANSIENT = Set.of("timeout", "network", "http_status");

  private final MemescopeConfig config;
  private final Clock clock;

  public IngestRetry(MemescopeConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  /** What a run found and did; {@code byReason} counts the URLs published (or to publish). */
  public record Result(
      int rejections, int indexedSince, Map<String, Integer> byReason, List<String> urls) {
    public int published() {
      return urls.size();
    }
  }

  /**
   * Retries the URLs rejected within {@code since} for one of {@code reasons}; with {@code dryRun}
   * only reports what it would publish.
   */
  public Result retry(Set<String> reasons, Duration since, boolean dryRun, PrintStream out)
      throws IOException {
    Map<String, JsonNode> latest = latestRejections(clock.instant().minus(since));
    int rejections = latest.size();
    Map<String, JsonNode> chosen = new LinkedHashMap<>();
    latest.forEach(
        (url, r) -> {
          if (reasons.contains(r.path("reason").asText())) {
            chosen.put(url, r);
          }
        });
    int indexed = 0;
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      PreparedStatement known = cql.prepare("SELECT image_id FROM image_urls WHERE url_hash = ?");
      for (var it = chosen.keySet().iterator(); it.hasNext(); ) {
        if (cql.execute(known.bind(UrlHash.of(it.next()))).one() != null) {
          it.remove(); // indexed meanwhile (an earlier retry, a later crawl)
          indexed++;
        }
      }
    }
    Map<String, Integer> byReason = new TreeMap<>();
    chosen.values().forEach(r -> byReason.merge(r.path("reason").asText(), 1, Integer::sum));
    List<String> urls = new ArrayList<>(chosen.keySet());
    if (!dryRun && !urls.isEmpty()) {
      publish(chosen);
    }
    out.printf(
        "%s %d of %d rejected URL(s) since %s %s; %d indexed meanwhile%n",
        dryRun ? "would publish" : "published",
        urls.size(),
        rejections,
        clock.instant().minus(since),
        byReason,
        indexed);
    return new Result(rejections, indexed, byReason, urls);
  }

  /** Each URL's newest rejection at or after {@code from}, read up to the topic's current end. */
  private Map<String, JsonNode> latestRejections(Instant from) throws IOException {
    String topic = config.kafka().topic("ingest-rejects").name();
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    Map<String, JsonNode> latest = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(15)).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(15));
      Map<TopicPartition, Long> query = new HashMap<>();
      partitions.forEach(tp -> query.put(tp, from.toEpochMilli()));
      var starts = consumer.offsetsForTimes(query, Duration.ofSeconds(15));
      for (TopicPartition tp : partitions) {
        var at = starts.get(tp);
        consumer.seek(tp, at == null ? end.get(tp) : at.offset());
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (!caughtUp(consumer, partitions, end)) {
        if (System.nanoTime() > deadline) {
          throw new IOException("reading " + topic + " took over 5 minutes");
        }
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          JsonNode node;
          try {
            node = Json.mapper().readTree(r.value());
          } catch (IOException unreadable) {
            continue; // not a rejection of ours
          }
          String url = node.path("url").asText("");
          if (!url.isEmpty() && node.path("at").asLong(0) >= from.toEpochMilli()) {
            JsonNode before = latest.get(url);
            if (before == null || before.path("at").asLong() <= node.path("at").asLong()) {
              latest.put(url, node);
            }
          }
        }
      }
    }
    return latest;
  }

  private static boolean caughtUp(
      KafkaConsumer<?, ?> consumer,
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> end) {
    for (TopicPartition tp : partitions) {
      if (consumer.position(tp) < end.get(tp)) {
        return false;
      }
    }
    return true;
  }

  private void publish(Map<String, JsonNode> chosen) throws IOException {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    String topic = config.kafka().topic("crawl-urls").name();
    String mark = "retry-" + clock.millis();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (var e : chosen.entrySet()) {
        String source = e.getValue().path("source").asText("retry");
        CrawlRecord r =
            CrawlRecord.of(
                e.getKey(),
                source.isEmpty() ? "retry" : source,
                clock.instant(),
                null,
                null,
                null,
                Map.of(CrawlRecord.CONTENT_VERSION, mark));
        sent.add(producer.send(new ProducerRecord<>(topic, r.urlHash(), Json.write(r))));
      }
      producer.flush();
      for (var f : sent) {
        f.get();
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("publishing to " + topic + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
