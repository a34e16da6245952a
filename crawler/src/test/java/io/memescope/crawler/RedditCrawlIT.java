package io.memescope.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.schema.CassandraMigrations;
import io.memescope.core.schema.Clients;
import io.memescope.crawler.http.PoliteClient;
import io.memescope.crawler.publish.CrawlPublisher;
import io.memescope.crawler.reddit.RedditListing;
import io.memescope.crawler.reddit.RedditListingParser;
import io.memescope.infra.testing.TestStack;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Crawls of a Reddit-shaped listing served on loopback, into the test stack's Kafka and Cassandra.
 */
class RedditCrawlIT {
  static MemescopeConfig config;
  static CqlSession session;
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

  @BeforeAll
  static void stack() {
    config = TestStack.config();
    try (CqlSession plain = Clients.cassandra(config.cassandra())) {
      new CassandraMigrations(plain, config.cassandra()).apply();
    }
    session = Clients.cassandraKeyspace(config.cassandra());
  }

  @AfterAll
  static void close() {
    session.close();
  }

  @Test
  void crawls_every_page_to_the_end_publishing_each_image_once_despite_a_429() throws Exception {
    try (RedditFixtureServer reddit = new RedditFixtureServer(350, true)) {
      reddit.tooManyRequestsOnce.add(2);
      String topic = topic();
      CrawlResult result = crawl(reddit, topic, TestStack.uniqueName("reddit"), Integer.MAX_VALUE);

      assertThat(result.errors()).isEmpty();
      assertThat(result.reachedEnd()).isTrue();
      assertThat(result.pages()).isEqualTo(4);
      assertThat(reddit.requests.get()).as("one retry after the 429").isEqualTo(5);
      assertThat(result.skipped()).containsKeys("nsfw", "video", "duplicate_in_page");
      List<String> urls = consumeUrls(topic, reddit.expectedImages().size());
      assertThat(urls).containsExactlyInAnyOrderElementsOf(reddit.expectedImages());
      assertThat(result.published()).isEqualTo(reddit.expectedImages().size());
    }
  }

  @Test
  void a_restart_resumes_from_the_cursor_and_publishes_nothing_twice() throws Exception {
    try (RedditFixtureServer reddit = new RedditFixtureServer(350, true)) {
      String topic = topic();
      String source = TestStack.uniqueName("reddit");
      CrawlResult first = crawl(reddit, topic, source, 2);
      assertThat(first.pages()).isEqualTo(2);
      assertThat(first.reachedEnd()).isFalse();

      CrawlResult second = crawl(reddit, topic, source, Integer.MAX_VALUE);
      assertThat(second.pages()).as("continues at page 3").isEqualTo(2);
      assertThat(second.reachedEnd()).isTrue();

      CrawlResult third = crawl(reddit, topic, source, Integer.MAX_VALUE);
      assertThat(third.pages()).as("starts over at the newest posts").isEqualTo(4);
      assertThat(third.published()).isZero();

      List<String> urls = consumeUrls(topic, reddit.expectedImages().size());
      assertThat(urls)
          .doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(reddit.expectedImages());
    }
  }

  @Test
  void malformed_json_is_reported_the_cursor_kept_and_the_next_pass_completes() throws Exception {
    try (RedditFixtureServer reddit = new RedditFixtureServer(250, false)) {
      reddit.malformed.add(2);
      String topic = topic();
      String source = TestStack.uniqueName("reddit");

      CrawlResult broken = crawl(reddit, topic, source, Integer.MAX_VALUE);
      assertThat(broken.pages()).isEqualTo(1);
      assertThat(broken.errors())
          .singleElement()
          .asString()
          .contains(source)
          .contains("not valid JSON");

      reddit.malformed.clear();
      CrawlResult healed = crawl(reddit, topic, source, Integer.MAX_VALUE);
      assertThat(healed.errors()).isEmpty();
      assertThat(broken.published() + healed.published()).isEqualTo(250);
      assertThat(consumeUrls(topic, 250)).hasSize(250).doesNotHaveDuplicates();
    }
  }

  @Test
  void a_redirect_to_a_loopback_host_that_is_not_allowed_is_refused() throws Exception {
    try (RedditFixtureServer reddit = new RedditFixtureServer(10, false)) {
      reddit.redirectTo = "http://localhost:" + reddit.port() + "/r/memes/new.json?limit=100";
      CrawlResult result = crawl(reddit, topic(), TestStack.uniqueName("reddit"), 1);

      assertThat(result.published()).isZero();
      assertThat(result.errors())
          .singleElement()
          .asString()
          .contains("BLOCKED_ADDRESS")
          .contains("localhost resolves to 127.0.0.1, a loopback address");
    }
  }

  @Test
  void a_ten_thousand_post_listing_publishes_exactly_ten_thousand_distinct_records()
      throws Exception {
    try (RedditFixtureServer reddit = new RedditFixtureServer(10_000, false)) {
      String topic = topic();
      CrawlResult result = crawl(reddit, topic, TestStack.uniqueName("reddit"), Integer.MAX_VALUE);

      assertThat(result.errors()).isEmpty();
      assertThat(result.published()).isEqualTo(10_000);
      assertThat(consumeUrls(topic, 10_000)).hasSize(10_000).doesNotHaveDuplicates();
    }
  }

  /** A crawl with fresh clients, as a restarted crawler process would have. */
  private CrawlResult crawl(RedditFixtureServer reddit, String topic, String source, int maxPages) {
    PoliteClient http = new PoliteClient(Set.of("127.0.0.1"), 8 << 20, 4, Duration.ofMillis(200));
    try (CrawlPublisher publisher = new CrawlPublisher(config.kafka().bootstrapServers(), topic)) {
      RedditListing listing =
          new RedditListing(
              source,
              reddit.listingUrl(),
              http,
              new RedditListingParser(source, "https://www.reddit.com", false),
              CLOCK);
      return new Crawl(listing, publisher, new CrawlState(session), CLOCK).run(maxPages);
    }
  }

  private static String topic() {
    return TestStack.createTopic("crawl", 2);
  }

  /** Every URL on the topic: reads until {@code atLeast} arrived and then 2 quiet seconds. */
  private static List<String> consumeUrls(String topic, int atLeast) throws Exception {
    Properties p = TestStack.consumerProperties(ByteArrayDeserializer.class);
    List<String> urls = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long quietSince = System.nanoTime();
      while (System.nanoTime() < deadline) {
        var records = consumer.poll(Duration.ofMillis(300));
        for (var r : records) {
          CrawlRecord record = Json.read(r.value(), CrawlRecord.class);
          assertThat(r.key()).isEqualTo(record.urlHash());
          urls.add(record.url());
        }
        if (!records.isEmpty()) {
          quietSince = System.nanoTime();
        }
        // Once enough arrived, keep reading until the topic has been quiet for 2 s: duplicates
        // would show up there.
        if (urls.size() >= atLeast
            && System.nanoTime() - quietSince > Duration.ofSeconds(2).toNanos()) {
          break;
        }
      }
    }
    return urls;
  }
}
