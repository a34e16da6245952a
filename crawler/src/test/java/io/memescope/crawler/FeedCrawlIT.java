package io.memescope.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.CassandraMigrations;
import io.memescope.core.schema.Clients;
import io.memescope.crawler.feed.FeedSource;
import io.memescope.crawler.http.PoliteClient;
import io.memescope.crawler.publish.CrawlPublisher;
import io.memescope.infra.testing.TestStack;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** An RSS feed served on loopback, crawled into the test stack's Kafka and Cassandra. */
class FeedCrawlIT {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

  @Test
  void a_feed_is_published_once_and_a_malformed_one_is_reported_without_losing_the_source()
      throws Exception {
    MemescopeConfig config = migrated();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String[] body = {rss(run, 30)};
    HttpServer server = serveFeed(() -> body[0].getBytes(StandardCharsets.UTF_8));
    String url = feedUrl(server);
    String source = TestStack.uniqueName("feed");
    String topic = TestStack.createTopic("feedtopic", 1);
    try (CqlSession session = Clients.cassandraKeyspace(config.cassandra());
        CrawlPublisher publisher = new CrawlPublisher(config.kafka().bootstrapServers(), topic)) {
      FeedSource feed =
          new FeedSource(
              source,
              url,
              new PoliteClient(Set.of("127.0.0.1"), 1 << 20, 3, Duration.ofMillis(100)),
              CLOCK);
      Crawl crawl = new Crawl(feed, publisher, new CrawlState(session), CLOCK);

      CrawlResult first = crawl.run(10);
      CrawlResult again = crawl.run(10);
      body[0] = "<rss><channel><item><title>broken";
      CrawlResult broken = crawl.run(10);
      body[0] = rss(run, 31);
      CrawlResult healed = crawl.run(10);

      assertThat(first.published()).isEqualTo(30);
      assertThat(first.reachedEnd()).isTrue();
      assertThat(again.published()).isZero();
      assertThat(again.skipped()).containsEntry("already_published", 30);
      assertThat(broken.errors())
          .singleElement()
          .asString()
          .contains(source)
          .contains("not a valid RSS or Atom feed");
      assertThat(healed.errors()).isEmpty();
      assertThat(healed.published()).as("only the new item").isEqualTo(1);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void a_feed_of_thousands_of_new_items_is_published_and_marked_seen_in_one_pass()
      throws Exception {
    // The seen-marks of a page were sent all at once until 2026-12-07: past the driver's 1,024
    // requests a connection they failed, the pass with them, and the next pass published the
    // items again.
    MemescopeConfig config = migrated();
    String run = UUID.randomUUID().toString().substring(0, 8);
    byte[] bytes = rss(run, 3_000).getBytes(StandardCharsets.UTF_8);
    HttpServer server = serveFeed(() -> bytes);
    String url = feedUrl(server);
    String topic = TestStack.createTopic("bigfeed", 1);
    try (CqlSession session = Clients.cassandraKeyspace(config.cassandra());
        CrawlPublisher publisher = new CrawlPublisher(config.kafka().bootstrapServers(), topic)) {
      FeedSource feed =
          new FeedSource(
              TestStack.uniqueName("bigfeed"),
              url,
              new PoliteClient(Set.of("127.0.0.1"), 1 << 23, 3, Duration.ofMillis(100)),
              CLOCK);
      Crawl crawl = new Crawl(feed, publisher, new CrawlState(session), CLOCK);
      CrawlResult first = crawl.run(10);
      assertThat(first.errors()).isEmpty();
      assertThat(first.published()).isEqualTo(3_000);
      CrawlResult again = crawl.run(10);
      assertThat(again.published()).isZero();
      assertThat(again.skipped()).containsEntry("already_published", 3_000);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void a_source_id_kept_for_another_type_or_location_starts_over(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    // Until 2026-12-07 the new source read the old one's cursor: a list moved to another file
    // skipped as many of its lines, and a dump failed on a list's cursor at every pass.
    MemescopeConfig config = migrated();
    String run = UUID.randomUUID().toString().substring(0, 8);
    java.nio.file.Path first = dir.resolve("first.txt");
    java.nio.file.Path second = dir.resolve("second.txt");
    StringBuilder a = new StringBuilder();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      a.append("http://memes.example/").append(run).append("/a/").append(i).append(".jpg\n");
      b.append("http://memes.example/").append(run).append("/b/").append(i).append(".jpg\n");
    }
    java.nio.file.Files.writeString(first, a);
    java.nio.file.Files.writeString(second, b);
    String id = TestStack.uniqueName("list");
    String topic = TestStack.createTopic("lists", 1);
    try (CqlSession session = Clients.cassandraKeyspace(config.cassandra());
        CrawlPublisher publisher = new CrawlPublisher(config.kafka().bootstrapServers(), topic)) {
      CrawlState state = new CrawlState(session);
      Crawl before =
          new Crawl(
              new io.memescope.crawler.list.UrlListSource(id, first, 4, CLOCK),
              "list " + first,
              publisher,
              state,
              CLOCK);
      assertThat(before.run(1).published()).isEqualTo(4); // its cursor: line 4 of first.txt
      Crawl after =
          new Crawl(
              new io.memescope.crawler.list.UrlListSource(id, second, 4, CLOCK),
              "list " + second,
              publisher,
              state,
              CLOCK);
      CrawlResult moved = after.run(10);
      assertThat(moved.errors()).isEmpty();
      assertThat(moved.published()).as("every line of the new file").isEqualTo(6);
      // A cursor saved before origins were kept is taken as it is.
      state.saveCursor(id, java.util.Optional.of("4"), CLOCK.instant());
      assertThat(state.cursor(id, "list " + first)).contains("4");
    }
  }

  /** The test stack's settings, with the keyspace's migrations applied. */
  private static MemescopeConfig migrated() {
    MemescopeConfig config = TestStack.config();
    try (CqlSession plain = Clients.cassandra(config.cassandra())) {
      new CassandraMigrations(plain, config.cassandra()).apply();
    }
    return config;
  }

  /** A loopback server answering /feed.xml with the body {@code body} gives at each request. */
  private static HttpServer serveFeed(java.util.function.Supplier<byte[]> body) throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/feed.xml",
        exchange -> {
          byte[] bytes = body.get();
          exchange.getResponseHeaders().add("Content-Type", "application/rss+xml");
          exchange.sendResponseHeaders(200, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    server.start();
    return server;
  }

  private static String feedUrl(HttpServer server) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/feed.xml";
  }

  private static String rss(String run, int items) {
    StringBuilder xml =
        new StringBuilder(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>http://x/</link><description>d</description>");
    for (int i = 0; i < items; i++) {
      xml.append("<item><title>meme ")
          .append(i)
          .append("</title><link>http://memes.example/")
          .append(run)
          .append("/p/")
          .append(i)
          .append("</link><enclosure type=\"image/jpeg\" length=\"1\" url=\"http://memes.example/")
          .append(run)
          .append("/i/")
          .append(i)
          .append(".jpg\"/></item>");
    }
    return xml.append("</channel></rss>").toString();
  }
}
