package io.memescope.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.testing.TestStack;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The crawler service: polls a configured feed, keeps polling, and counts in its metrics. */
class CrawlerServiceIT {
  @TempDir Path dir;

  @Test
  void polls_a_configured_source_repeatedly_and_exports_what_it_published() throws Exception {
    MemescopeConfig stack = TestStack.config();
    String run = UUID.randomUUID().toString().substring(0, 8);
    AtomicInteger polls = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/feed.xml",
        e -> {
          polls.incrementAndGet();
          StringBuilder rss =
              new StringBuilder(
                  "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>http://x/</link><description>d</description>");
          for (int i = 0; i < 12; i++) {
            rss.append("<item><title>m")
                .append(i)
                .append(
                    "</title><enclosure type=\"image/png\" length=\"1\" url=\"http://memes.example/")
                .append(run)
                .append('/')
                .append(i)
                .append(".png\"/></item>");
          }
          byte[] bytes = rss.append("</channel></rss>").toString().getBytes(StandardCharsets.UTF_8);
          e.sendResponseHeaders(200, bytes.length);
          e.getResponseBody().write(bytes);
          e.close();
        });
    server.start();
    int metricsPort;
    try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      metricsPort = socket.getLocalPort();
    }
    Path conf =
        Files.writeString(
            dir.resolve("memescope.conf"),
            "include file(\""
                + Runtimes.root().resolve("infra/src/test/resources/test-stack.conf")
                + "\")\n"
                + "home = \""
                + stack.home()
                + "\"\n"
                + "crawler { enabled = true, metrics-port = "
                + metricsPort
                + ", poll-interval = 1s, jitter = 0.1,\n"
                + "  sources = [ { id = \"feed-"
                + run
                + "\", type = feed, location = \"http://127.0.0.1:"
                + server.getAddress().getPort()
                + "/feed.xml\", allow-private-hosts = [\"127.0.0.1\"] } ] }\n");
    MemescopeConfig config = new ConfigLoader().optFile(conf).load();

    try (CrawlerService service = new CrawlerService(config)) {
      service.start();
      String metrics = "";
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < deadline
          && (polls.get() < 3
              || !metrics.contains("published_total{source=\"feed-" + run + "\"} 12.0"))) {
        Thread.sleep(500);
        metrics = get("http://127.0.0.1:" + metricsPort + "/metrics");
      }
      assertThat(polls.get()).as("the feed is polled again and again").isGreaterThanOrEqualTo(3);
      assertThat(metrics)
          .contains("memescope_crawl_published_total{source=\"feed-" + run + "\"} 12.0")
          .contains(
              "memescope_crawl_skipped_total{reason=\"already_published\",source=\"feed-"
                  + run
                  + "\"}");
    } finally {
      server.stop(0);
    }
  }

  private static String get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
