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
 * the job's seen-URL filter takes that as new content and fetches the URL once more. The rejects
 * topic carries no title or page, so each retried URL's record is looked up in the crawl topic
 * (from a day before the window, within its retention) and published again with its title, page,
 * author and extra fields; a URL whose record is no longer there is published with its URL and
 * source only, and the run says how many.
 */
public final class IngestRetry {
  /** The reasons retried by default: failures of the moment, not of the content. */
  public static final Set<String> TRANSIENT = Set.of("timeout", "network", "http_status");

  /**
   * How far before the window the crawl topic is searched for a rejected URL's record: the record
   * was published before its rejection, by as much as the job lagged behind then.
   */
  public static final Duration RECORD_LOOKBACK = Duration.ofDays(1);

  /** How long reading one topic may take. */
  private static final Duration READ_LIMIT = Duration.ofMinutes(5);

  /** How often a long read says how far it got (on stderr). */
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

  private final MemescopeConfig config;
  private final Clock clock;
  private final Duration recordLookback;

  public IngestRetry(MemescopeConfig config, Clock clock) {
    this(config, clock, RECORD_LOOKBACK);
  }

  /**
   * @param recordLookback how far before the window the crawl topic is searched for the rejected
   *     URLs' records ({@link #RECORD_LOOKBACK} by default)
   */
  public IngestRetry(MemescopeConfig config, Clock clock, Duration recordLookback) {
    if (recordLookback.isNegative()) {
      throw new IllegalArgumentException("recordLookback must not be negative: " + recordLookback);
    }
    this.config = config;
    this.clock = clock;
    this.recordLookback = recordLookback;
  }

  /**
   * What a run found and did; {@code byReason} counts the URLs published (or to publish), {@code
   * withoutRecord} those of them whose crawl record was not found (published without a title).
   */
  public record Result(
      int rejections,
      int indexedSince,
      Map<String, Integer> byReason,
      List<String> urls,
      int withoutRecord) {
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
    Instant from = clock.instant().minus(since);
    Map<String, JsonNode> latest = latestRejections(from);
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
    Map<String, CrawlRecord> records =
        urls.isEmpty() ? Map.of() : crawlRecords(chosen.keySet(), from.minus(recordLookback));
    int withoutRecord = urls.size() - records.size();
    if (!dryRun && !urls.isEmpty()) {
      publish(chosen, records);
    }
    out.printf(
        "%s %d of %d rejected URL(s) since %s %s; %d indexed meanwhile%s%n",
        dryRun ? "would publish" : "published",
        urls.size(),
        rejections,
        from,
        byReason,
        indexed,
        withoutRecord == 0
            ? ""
            : "; "
                + withoutRecord
                + " without title or page (their crawl record is no longer in the crawl topic)");
    return new Result(rejections, indexed, byReason, urls, withoutRecord);
  }

  /**
   * Each URL's newest rejection at or after {@code from}, read up to the topic's current end. A
   * rejection's Kafka timestamp is that of the crawl record it comes from (Flink's Kafka sink keeps
   * the source's timestamps), earlier than the rejection by the job's lag then; so the topic is
   * read from {@link #RECORD_LOOKBACK} before {@code from} and filtered on the rejection's own
   * time.
   */
  private Map<String, JsonNode> latestRejections(Instant from) throws IOException {
    String topic = config.kafka().topic("ingest-rejects").name();
    Map<String, JsonNode> latest = new HashMap<>();
    boolean complete =
        read(
            topic,
            from.minus(RECORD_LOOKBACK),
            value -> {
              JsonNode node;
              try {
                node = Json.mapper().readTree(value);
              } catch (IOException unreadable) {
                return; // not a rejection of ours
              }
              String url = node.path("url").asText("");
              if (!url.isEmpty() && node.path("at").asLong(0) >= from.toEpochMilli()) {
                JsonNode before = latest.get(url);
                if (before == null || before.path("at").asLong() <= node.path("at").asLong()) {
                  latest.put(url, node);
                }
              }
            });
    if (!complete) {
      throw new IOException(
          "reading " + topic + " took over " + READ_LIMIT.toMinutes() + " minutes");
    }
    return latest;
  }

  /**
   * The newest crawl record of each of {@code urls} published at or after {@code from}, preferring
   * one that carries a title, page or author (a retry's record without them does not hide the
   * original). URLs whose record is not found are left out.
   */
  private Map<String, CrawlRecord> crawlRecords(Set<String> urls, Instant from) {
    Map<String, CrawlRecord> found = new HashMap<>();
    read(
        config.kafka().topic("crawl-urls").name(),
        from,
        value -> {
          CrawlRecord r;
          try {
            r = Json.read(value, CrawlRecord.class);
          } catch (IOException | RuntimeException unreadable) {
            return; // the job rejects it as bad_record; nothing to take from it
          }
          if (r.url() == null || !urls.contains(r.url())) {
            return;
          }
          CrawlRecord before = found.get(r.url());
          if (before == null || described(r) || !described(before)) {
            found.put(r.url(), r);
          }
        });
    // Read up to the limit: what was found by then is used, the rest goes without a title.
    return found;
  }

  private static boolean described(CrawlRecord r) {
    return r.title() != null || r.page() != null || r.author() != null;
  }

  /**
   * Reads {@code topic} from the first offsets at or after {@code from} up to its end as of now;
   * false when that took longer than {@link #READ_LIMIT}.
   */
  private boolean read(String topic, Instant from, java.util.function.Consumer<byte[]> each) {
    Properties p = Clients.kafkaReaderProperties(config.kafka().bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
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
      long total = 0;
      for (TopicPartition tp : partitions) {
        var at = starts.get(tp);
        long start = at == null ? end.get(tp) : at.offset();
        consumer.seek(tp, start);
        total += end.get(tp) - start;
      }
      long began = System.nanoTime();
      long deadline = began + READ_LIMIT.toNanos();
      long nextReport = began + PROGRESS_EVERY.toNanos();
      long read = 0;
      while (!caughtUp(consumer, partitions, end)) {
        long now = System.nanoTime();
        if (now > deadline) {
          System.err.printf("reading %s: gave up after %d of %d records%n", topic, read, total);
          return false;
        }
        if (now > nextReport) {
          // A long window of a busy topic takes a while: say how far it got.
          System.err.printf("reading %s: %d of %d records%n", topic, read, total);
          nextReport = now + PROGRESS_EVERY.toNanos();
        }
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          read++;
          if (r.value() != null) {
            each.accept(r.value());
          }
        }
      }
    }
    return true;
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

  private void publish(Map<String, JsonNode> chosen, Map<String, CrawlRecord> records)
      throws IOException {
    Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
    String topic = config.kafka().topic("crawl-urls").name();
    String mark = "retry-" + clock.millis();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (var e : chosen.entrySet()) {
        String source = e.getValue().path("source").asText("retry");
        CrawlRecord original = records.get(e.getKey());
        Map<String, String> extra = new HashMap<>();
        if (original != null) {
          extra.putAll(original.extra());
        }
        extra.put(CrawlRecord.CONTENT_VERSION, mark);
        CrawlRecord r =
            CrawlRecord.of(
                e.getKey(),
                source.isEmpty() ? "retry" : source,
                clock.instant(),
                original == null ? null : original.title(),
                original == null ? null : original.page(),
                original == null ? null : original.author(),
                extra);
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
