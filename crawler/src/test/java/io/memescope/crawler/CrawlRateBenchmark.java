package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.KafkaSettings.TopicSpec;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.CassandraMigrations;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.KafkaTopics;
import io.memescope.crawler.http.PoliteClient;
import io.memescope.crawler.publish.CrawlPublisher;
import io.memescope.crawler.reddit.RedditListing;
import io.memescope.crawler.reddit.RedditListingParser;
import io.memescope.infra.testing.TestStack;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;

/**
 * Benchmark command (not a test): crawl rate of a Reddit-shaped listing of {@code posts} posts
 * served on loopback, into the test stack's Kafka and Cassandra, in records published per second.
 * Run by infra/bench/crawl-rate.sh; results in docs/benchmarks.md.
 */
public final class CrawlRateBenchmark {
  private CrawlRateBenchmark() {}

  public static void main(String[] args) throws Exception {
    int posts = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    MemescopeConfig config = TestStack.config();
    try (CqlSession plain = Clients.cassandra(config.cassandra())) {
      new CassandraMigrations(plain, config.cassandra()).apply();
    }
    try (CqlSession session = Clients.cassandraKeyspace(config.cassandra())) {
      for (int run = 1; run <= runs; run++) {
        try (RedditFixtureServer reddit = new RedditFixtureServer(posts, false);
            CrawlPublisher publisher =
                new CrawlPublisher(config.kafka().bootstrapServers(), topic(config))) {
          String source = TestStack.uniqueName("bench");
          RedditListing listing =
              new RedditListing(
                  source,
                  reddit.listingUrl(),
                  new PoliteClient(Set.of("127.0.0.1"), 8 << 20, 4, Duration.ofMillis(200)),
                  new RedditListingParser(source, "https://www.reddit.com", false),
                  Clock.systemUTC());
          Crawl crawl = new Crawl(listing, publisher, new CrawlState(session), Clock.systemUTC());
          long start = System.nanoTime();
          CrawlResult result = crawl.run(Integer.MAX_VALUE);
          double seconds = (System.nanoTime() - start) / 1e9;
          System.out.printf(
              "run %d: %d posts, %d pages, %d published in %.2f s = %.0f records/s%s%n",
              run,
              posts,
              result.pages(),
              result.published(),
              seconds,
              result.published() / seconds,
              result.errors().isEmpty() ? "" : " ERRORS " + result.errors());
        }
      }
    }
  }

  private static String topic(MemescopeConfig config) {
    String name = TestStack.uniqueName("crawlbench");
    try (Admin admin = Clients.kafkaAdmin(config.kafka())) {
      new KafkaTopics(admin, 1, Duration.ofSeconds(30))
          .apply(List.of(new TopicSpec("bench", name, 4, false, Duration.ofHours(1))));
    }
    return name;
  }
}
