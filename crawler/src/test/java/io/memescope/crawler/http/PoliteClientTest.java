package io.memescope.crawler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Politeness against an HTTP server of our own on loopback; sleeps are recorded, not slept. */
class PoliteClientTest {
  HttpServer server;
  String base;
  final List<Long> sleeps = new CopyOnWriteArrayList<>();
  final AtomicInteger unavailable = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/robots.txt", e -> send(e, 200, "User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n"));
    server.createContext("/public/", e -> send(e, 200, "ok"));
    server.createContext("/private/", e -> send(e, 200, "secret"));
    server.createContext("/big", e -> send(e, 200, "x".repeat(5000)));
    server.createContext(
        "/flaky",
        e -> {
          if (unavailable.getAndIncrement() < 2) {
            e.getResponseHeaders().add("Retry-After", "7");
            send(e, 503, "busy");
          } else {
            send(e, 200, "finally");
          }
        });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private PoliteClient client(Duration interval) {
    return new PoliteClient(
        Set.of("127.0.0.1"), 1000, 3, Duration.ofMillis(100), interval, sleeps::add);
  }

  @Test
  void robots_disallow_is_obeyed_and_named() throws Exception {
    PoliteClient client = client(Duration.ZERO);
    assertThat(new String(client.get(base + "/public/a"), StandardCharsets.UTF_8)).isEqualTo("ok");
    assertThatThrownBy(() -> client.get(base + "/private/b"))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.ROBOTS_DISALLOWED))
        .hasMessageContaining("/robots.txt");
  }

  @Test
  void crawl_delay_spaces_requests_to_one_host() throws Exception {
    PoliteClient client = client(Duration.ofMillis(500));
    client.get(base + "/public/1");
    client.get(base + "/public/2");
    // robots.txt asks for 2 s, more than the configured 0.5 s: the second request waited ~2 s.
    assertThat(sleeps).singleElement().satisfies(ms -> assertThat(ms).isBetween(1500L, 2000L));
  }

  @Test
  void retry_after_is_honoured_on_503_until_it_succeeds() throws Exception {
    PoliteClient client = client(Duration.ZERO);
    assertThat(new String(client.get(base + "/flaky"), StandardCharsets.UTF_8))
        .isEqualTo("finally");
    // Two waits of Retry-After's 7 s; robots.txt's Crawl-delay also spaces the retries.
    assertThat(sleeps).filteredOn(ms -> ms == 7000L).hasSize(2);
  }

  @Test
  void an_oversized_response_is_refused() {
    assertThatThrownBy(() -> client(Duration.ZERO).get(base + "/big"))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.TOO_LARGE));
  }

  private static void send(com.sun.net.httpserver.HttpExchange e, int status, String body)
      throws java.io.IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    e.sendResponseHeaders(status, bytes.length);
    e.getResponseBody().write(bytes);
    e.close();
  }
}
