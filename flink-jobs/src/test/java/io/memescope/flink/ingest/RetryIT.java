package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.UrlHash;
import io.memescope.core.records.UrlNormalizer;
import io.memescope.core.schema.Clients;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.infra.flink.IngestRetry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * {@code memescope ingest retry} against the running job: an image whose host was down when it was
 * crawled is rejected as {@code network}; once the host is back, a retry publishes it again, with
 * the title of its first crawl record, and the job indexes it; a second retry finds it indexed and
 * publishes nothing.
 */
class RetryIT {
  @Test
  void a_url_rejected_while_its_host_was_down_is_indexed_after_a_retry() throws Exception {
    MemescopeConfig config = IngestJobIT.jobConfig();
    IngestJobs jobs = new IngestJobs(config);
    int port = closedPort();
    String url = UrlNormalizer.normalise("http://localhost:" + port + "/late.png");
    try {
      jobs.ensureRunning(Path.of(System.getProperty("memescope.jobJar", "unset")));
      IngestJobIT.publish(config, List.of(url));
      Map<String, JsonNode> indexed = new HashMap<>();
      Map<String, JsonNode> rejects = new HashMap<>();
      IngestJobIT.consume(config, indexed, rejects, 0, 1, Duration.ofMinutes(3), n -> {});
      assertThat(rejects.get(url)).as("rejected while the host is down").isNotNull();
      assertThat(rejects.get(url).path("reason").asText()).isEqualTo("network");

      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
      byte[] png = png();
      server.createContext(
          "/late.png",
          exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, png.length);
            exchange.getResponseBody().write(png);
            exchange.close();
          });
      server.start();
      try {
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        IngestRetry retry = new IngestRetry(config, Clock.systemUTC());
        IngestRetry.Result dry =
            retry.retry(IngestRetry.TRANSIENT, Duration.ofHours(1), true, new PrintStream(said));
        assertThat(dry.urls()).containsExactly(url);
        assertThat(said.toString()).contains("would publish 1 of 1").contains("network=1");
        IngestRetry.Result first =
            retry.retry(IngestRetry.TRANSIENT, Duration.ofHours(1), false, System.out);
        assertThat(first.urls()).containsExactly(url);
        assertThat(first.byReason()).containsEntry("network", 1);

        Map<String, JsonNode> after = new HashMap<>();
        IngestJobIT.consume(config, after, new HashMap<>(), 1, 1, Duration.ofMinutes(3), n -> {});
        assertThat(after.get(url)).as("indexed after the retry").isNotNull();
        assertThat(after.get(url).path("kind").asText()).isEqualTo("new");
        assertThat(first.withoutRecord()).isZero();
        try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
          // The rejects topic has no title: the retry took it from the URL's crawl record.
          assertThat(
                  cql.execute("SELECT title FROM image_urls WHERE url_hash = ?", UrlHash.of(url))
                      .one()
                      .getString("title"))
              .as("the title of the first crawl record")
              .isEqualTo("title of " + url);
        }

        // Only reasons that may pass are retried by default; the URL is indexed now anyway.
        IngestRetry.Result second =
            retry.retry(Set.of("network", "bad_url"), Duration.ofHours(1), false, System.out);
        assertThat(second.urls()).isEmpty();
        assertThat(second.indexedSince()).isEqualTo(1);

        // A URL whose crawl record is no longer within reach goes without its title, and the run
        // says so. Here the look-back is 0 and the window starts at the rejection itself, after
        // the record was published; in use, a record older than the crawl topic's retention.
        String early = UrlNormalizer.normalise("http://localhost:" + closedPort() + "/early.png");
        IngestJobIT.publish(config, List.of(early));
        Map<String, JsonNode> rejected = new HashMap<>();
        IngestJobIT.consume(
            config, new HashMap<>(), rejected, 0, 2, Duration.ofMinutes(3), n -> {});
        assertThat(rejected.get(early)).as("rejected: nothing listens").isNotNull();
        Instant at = Instant.ofEpochMilli(rejected.get(early).path("at").asLong());
        Instant now = Instant.now();
        ByteArrayOutputStream told = new ByteArrayOutputStream();
        IngestRetry.Result bare =
            new IngestRetry(config, Clock.fixed(now, ZoneOffset.UTC), Duration.ZERO)
                .retry(
                    IngestRetry.TRANSIENT, Duration.between(at, now), true, new PrintStream(told));
        assertThat(bare.urls()).containsExactly(early);
        assertThat(bare.withoutRecord()).isEqualTo(1);
        assertThat(told.toString())
            .contains("would publish 1 of 1")
            .contains(
                "1 without title or page (their crawl record is no longer in the crawl topic)");
      } finally {
        server.stop(0);
      }
    } finally {
      jobs.cancel();
    }
  }

  /** A loopback port that nothing listens on (a socket's, once it is closed). */
  private static int closedPort() throws Exception {
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return free.getLocalPort();
    }
  }

  private static byte[] png() throws Exception {
    BufferedImage image = new BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB);
    java.util.Random random = new java.util.Random(3);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        image.setRGB(x, y, (x * 2) << 16 | (y * 3) << 8 | random.nextInt(64));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
