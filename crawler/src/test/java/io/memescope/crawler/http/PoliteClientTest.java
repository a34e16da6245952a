package io.memescope.crawler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.memescope.crawler.http.PoliteClient.Listener;
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
  final List<String> failures = new CopyOnWriteArrayList<>();

  /** The client's port of each request for /big, /huge and /public/: the connection it came on. */
  final List<Integer> ports = new CopyOnWriteArrayList<>();

  HostGate gate = new HostGate(2);
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final AtomicInteger robotsAsked = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/robots.txt",
        e -> {
          robotsAsked.incrementAndGet();
          send(e, 200, "User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n");
        });
    server.createContext(
        "/public/",
        e -> {
          ports.add(e.getRemoteAddress().getPort());
          send(e, 200, "ok");
        });
    server.createContext("/private/", e -> send(e, 200, "secret"));
    server.createContext(
        "/big",
        e -> {
          ports.add(e.getRemoteAddress().getPort());
          send(e, 200, "x".repeat(5000));
        });
    server.createContext(
        "/huge",
        e -> {
          ports.add(e.getRemoteAddress().getPort());
          send(e, 200, "x".repeat(1 << 20));
        });
    server.createContext("/missing", e -> send(e, 404, "no"));
    server.createContext(
        "/to-loopback",
        e -> {
          e.getResponseHeaders()
              .add("Location", "http://127.0.0.1:" + server.getAddress().getPort() + "/public/x");
          send(e, 302, "");
        });
    server.createContext(
        "/loop",
        e -> {
          e.getResponseHeaders().add("Location", "/loop");
          send(e, 301, "");
        });
    server.createContext(
        "/moved",
        e -> {
          e.getResponseHeaders().add("Location", "/public/moved-here");
          send(e, 302, "");
        });
    server.createContext(
        "/limited",
        e -> {
          e.getResponseHeaders().add("x-ratelimit-used", "100");
          e.getResponseHeaders().add("x-ratelimit-remaining", "0.0");
          e.getResponseHeaders().add("x-ratelimit-reset", "42");
          send(e, 200, "last one");
        });
    server.createContext(
        "/slow",
        e -> {
          int now = inFlight.incrementAndGet();
          maxInFlight.accumulateAndGet(now, Math::max);
          try {
            Thread.sleep(150);
          } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
          }
          inFlight.decrementAndGet();
          send(e, 200, "slow");
        });
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
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
    server.createContext(
        "/negative",
        e -> {
          if (unavailable.getAndIncrement() < 1) {
            e.getResponseHeaders().add("Retry-After", "-30");
            send(e, 503, "busy");
          } else {
            send(e, 200, "after our own backoff");
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
        Set.of("127.0.0.1"),
        1000,
        3,
        Duration.ofMillis(100),
        interval,
        gate,
        (host, reason) -> failures.add(host + " " + reason),
        sleeps::add);
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
  void robots_txt_goes_through_the_host_gate_and_is_not_asked_while_the_host_is_paused()
      throws Exception {
    PoliteClient client = client(Duration.ofSeconds(1));
    client.get(base + "/public/a");
    // robots.txt took the host's first turn: the page waited for the next, a second later.
    // (Until 2026-12-06 robots.txt went past the gate, and the page went at once.)
    assertThat(robotsAsked).hasValue(1);
    assertThat(sleeps).singleElement().satisfies(ms -> assertThat(ms).isBetween(500L, 1000L));

    // A host paused for longer than the crawler sleeps through: robots.txt is not asked, the page
    // is refused for now (the caller comes back later), and nothing about robots.txt is cached.
    gate = new HostGate(2, Duration.ofSeconds(5));
    PoliteClient paused = client(Duration.ofSeconds(1));
    gate.pause(PoliteClient.origin(okhttp3.HttpUrl.get(base)), Duration.ofMinutes(1));
    assertThatThrownBy(() -> paused.get(base + "/public/b"))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.HOST_PAUSED));
    assertThat(paused.allowedByRobots(base + "/public/c.png", true)).isEmpty();
    assertThat(robotsAsked).hasValue(1);
  }

  @Test
  void an_interrupted_robots_txt_request_caches_nothing() throws Exception {
    // A source cancelled while it waits for robots.txt's turn: until 2026-12-06 that cached
    // "allow nothing" for the host for 10 minutes, for every source of the process.
    PoliteClient client = client(Duration.ofSeconds(1));
    Thread.currentThread().interrupt();
    try {
      assertThat(client.allowedByRobots(base + "/public/a.png", true)).isEmpty();
    } finally {
      Thread.interrupted();
    }
    assertThat(client.allowedByRobots(base + "/public/a.png", true)).contains(true);
    assertThat(robotsAsked).hasValue(1);
  }

  @Test
  void a_robots_txt_behind_a_redirect_is_followed_and_one_that_cannot_be_had_allows_nothing()
      throws Exception {
    HttpServer other =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger robotsMode = new AtomicInteger(); // 0: redirect, 1: no answer, 2: 404
    other.createContext(
        "/robots.txt",
        e -> {
          switch (robotsMode.get()) {
            case 0 -> {
              e.getResponseHeaders().add("Location", "/site/robots.txt");
              send(e, 301, "");
            }
            case 1 -> e.close(); // the connection ends with no answer
            default -> send(e, 404, "none");
          }
        });
    other.createContext(
        "/site/robots.txt", e -> send(e, 200, "User-agent: *\nDisallow: /hidden/\n"));
    other.createContext("/", e -> send(e, 200, "ok"));
    other.start();
    try {
      String b = "http://127.0.0.1:" + other.getAddress().getPort();
      PoliteClient follows = client(Duration.ZERO);
      assertThat(new String(follows.get(b + "/shown/a"), StandardCharsets.UTF_8)).isEqualTo("ok");
      // Redirected robots.txt: obeyed (it allowed everything before, a 3xx read as "missing").
      assertThatThrownBy(() -> follows.get(b + "/hidden/a"))
          .isInstanceOfSatisfying(
              FetchException.class,
              e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.ROBOTS_DISALLOWED));
      // No answer to robots.txt: nothing is fetched (it allowed everything for an hour before).
      robotsMode.set(1);
      PoliteClient unreachable = client(Duration.ZERO);
      assertThatThrownBy(() -> unreachable.get(b + "/shown/a"))
          .isInstanceOfSatisfying(
              FetchException.class,
              e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.ROBOTS_DISALLOWED));
      // A missing robots.txt (404) allows everything.
      robotsMode.set(2);
      assertThat(new String(client(Duration.ZERO).get(b + "/hidden/a"), StandardCharsets.UTF_8))
          .isEqualTo("ok");
    } finally {
      other.stop(0);
    }
  }

  @Test
  void crawl_delay_spaces_requests_to_one_host() throws Exception {
    PoliteClient client = client(Duration.ofMillis(500));
    client.get(base + "/public/1");
    client.get(base + "/public/2");
    // robots.txt took the host's first turn: the first page waited the configured 0.5 s. Then
    // robots.txt asks for 2 s, more than that: the second page waited ~2 s more (waits are
    // recorded, not slept, so they add up).
    assertThat(sleeps).hasSize(2);
    assertThat(sleeps.get(0)).isBetween(250L, 500L);
    assertThat(sleeps.get(1) - sleeps.get(0)).isBetween(1500L, 2000L);
  }

  @Test
  void a_robots_txt_refresh_keeps_the_crawl_delay_it_knew() throws Exception {
    java.util.concurrent.atomic.AtomicReference<java.time.Instant> now =
        new java.util.concurrent.atomic.AtomicReference<>(java.time.Instant.now());
    java.time.Clock clock =
        new java.time.Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
          }

          @Override
          public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public java.time.Instant instant() {
            return now.get();
          }
        };
    PoliteClient client =
        new PoliteClient(
            Set.of("127.0.0.1"),
            1000,
            3,
            Duration.ofMillis(100),
            Duration.ofMillis(500),
            gate,
            (host, reason) -> failures.add(host + " " + reason),
            sleeps::add,
            clock);
    client.get(base + "/public/1");
    client.get(base + "/public/2");
    now.set(now.get().plus(Duration.ofHours(2))); // the rules are stale: robots.txt is asked again
    client.get(base + "/public/3");
    assertThat(robotsAsked).hasValue(2);
    // Waits are recorded, not slept, so they add up: page 2 waited its 2 s Crawl-delay after
    // page 1, robots.txt its 2 s after page 2, and page 3 waited 2 s after robots.txt, not the
    // crawler's own 0.5 s.
    assertThat(sleeps).hasSize(4);
    assertThat(sleeps.get(2) - sleeps.get(1)).isBetween(1500L, 2000L);
    assertThat(sleeps.get(3) - sleeps.get(2)).isBetween(1500L, 2000L);
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
  void a_retry_after_pauses_the_host_for_every_client_sharing_the_gate() throws Exception {
    // A host with no robots.txt (no Crawl-delay) that answers 503 with Retry-After: 7 once.
    HttpServer busy =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger calls = new AtomicInteger();
    busy.createContext(
        "/",
        e -> {
          if (e.getRequestURI().getPath().equals("/busy") && calls.getAndIncrement() == 0) {
            e.getResponseHeaders().add("Retry-After", "7");
            send(e, 503, "busy");
          } else {
            send(e, e.getRequestURI().getPath().equals("/robots.txt") ? 404 : 200, "ok");
          }
        });
    busy.start();
    try {
      String b = "http://127.0.0.1:" + busy.getAddress().getPort();
      client(Duration.ZERO).get(b + "/busy");
      // Another source on the same host, right after (the waits above were recorded, not
      // slept): it waits out the host's Retry-After too, instead of asking at once.
      List<Long> others = new CopyOnWriteArrayList<>();
      PoliteClient other =
          new PoliteClient(
              Set.of("127.0.0.1"),
              1000,
              3,
              Duration.ofMillis(100),
              Duration.ZERO,
              gate,
              Listener.NONE,
              others::add);
      other.get(b + "/other");
      // Its robots.txt and then its page each wait it out (the waits are recorded, not slept, so
      // each sees the whole pause).
      assertThat(others).hasSize(2).allSatisfy(ms -> assertThat(ms).isBetween(6_000L, 7_000L));
    } finally {
      busy.stop(0);
    }
  }

  @Test
  void an_oversized_response_is_refused() {
    assertThatThrownBy(() -> client(Duration.ZERO).get(base + "/big"))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.TOO_LARGE));
  }

  @Test
  void the_start_of_an_oversized_response_is_kept_when_only_the_start_is_wanted() throws Exception {
    PoliteClient client = client(Duration.ZERO);
    // /big sends 5000 bytes, over the client's 1000: cut where asked, or at the client's limit.
    PoliteClient.Page start = client.page(base + "/big", 100);
    assertThat(start.body()).hasSize(100).containsOnly((byte) 'x');
    assertThat(start.cut()).isTrue();
    PoliteClient.Page limited = client.page(base + "/big", 1 << 20);
    assertThat(limited.body()).hasSize(1000);
    assertThat(limited.cut()).isTrue();
    assertThat(client.page(base + "/big", 5000).cut()).as("5000 > the client's 1000").isTrue();
    // Exactly as long as asked, or shorter: whole, not cut.
    PoliteClient.Page whole = client.page(base + "/public/ok", 1000);
    assertThat(whole.cut()).isFalse();
    assertThat(whole.body()).isEqualTo(client.get(base + "/public/ok"));
    PoliteClient.Page exact = client.page(base + "/public/ok", whole.body().length);
    assertThat(exact.cut()).isFalse();
    assertThat(exact.body()).isEqualTo(whole.body());
    assertThat(client.page(base + "/public/ok", whole.body().length - 1).cut()).isTrue();
    assertThat(failures).as("a cut body is not a failure").isEmpty();
  }

  @Test
  void an_answer_of_an_unwanted_type_is_refused_unread_and_is_no_failure_of_its_host()
      throws Exception {
    PoliteClient client = client(Duration.ZERO);
    client.get(base + "/public/a");
    List<String> typesSeen = new CopyOnWriteArrayList<>();
    assertThatThrownBy(
            () ->
                client.page(
                    base + "/huge",
                    -1,
                    type -> {
                      typesSeen.add(String.valueOf(type));
                      return false;
                    }))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.UNWANTED_TYPE))
        .hasMessageContaining(base + "/huge");
    assertThat(typesSeen).hasSize(1);
    assertThat(failures).as("not the host's failure").isEmpty();
    // 1 MiB over the client's 1000 bytes, and not refused as too large: it was not read. Nor was
    // it read on to use its connection again.
    client.get(base + "/public/b");
    assertThat(ports.get(2)).isNotEqualTo(ports.get(1));
  }

  @Test
  void a_cut_response_drops_its_connection_rather_than_reading_the_rest() throws Exception {
    PoliteClient client = client(Duration.ZERO);
    client.get(base + "/public/a");
    client.get(base + "/public/b");
    assertThat(ports.get(1))
        .as("a whole response's connection is used again")
        .isEqualTo(ports.get(0));
    // 1 MiB, more than OkHttp reads ahead (8 KiB): a body as short as /big is read whole anyway.
    assertThat(client.page(base + "/huge", 100).cut()).isTrue();
    client.get(base + "/public/c");
    // Closed before the call was cancelled, OkHttp read the rest of /huge to use its connection
    // again (until the same day).
    assertThat(ports.get(3)).as("the cut response's connection is not").isNotEqualTo(ports.get(2));
  }

  @Test
  void a_used_up_rate_limit_pauses_the_host_until_its_reset() throws Exception {
    PoliteClient client = client(Duration.ZERO);
    client.get(base + "/limited");
    sleeps.clear();
    client.get(base + "/public/next");
    // x-ratelimit-remaining 0 and reset 42 s: the next request to the host waited ~42 s.
    assertThat(sleeps).singleElement().satisfies(ms -> assertThat(ms).isBetween(41_000L, 42_000L));
  }

  @Test
  void a_negative_retry_after_is_ignored_for_our_own_backoff() throws Exception {
    PoliteClient client = client(Duration.ZERO);
    assertThat(new String(client.get(base + "/negative"), StandardCharsets.UTF_8))
        .isEqualTo("after our own backoff");
    // The first backoff, 100 ms, not -30 s (a negative sleep throws) and not a pause of the host.
    assertThat(sleeps).contains(100L).allSatisfy(ms -> assertThat(ms).isBetween(0L, 2000L));
  }

  @Test
  @org.junit.jupiter.api.Timeout(30) // a slot the refusal kept would hang the last requests
  void a_pause_longer_than_the_gate_sleeps_is_refused_at_once_not_slept_through() throws Exception {
    gate = new HostGate(2, Duration.ofSeconds(5));
    PoliteClient client = client(Duration.ZERO);
    client.get(base + "/limited"); // x-ratelimit-remaining 0, reset 42 s
    sleeps.clear();
    assertThatThrownBy(() -> client.get(base + "/public/next"))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FetchException.Reason.HOST_PAUSED);
              assertThat(e.retryAfter()).isBetween(Duration.ofSeconds(40), Duration.ofSeconds(42));
            });
    assertThat(sleeps).as("no thread sleeps through the pause").isEmpty();
    assertThat(failures).as("nothing was asked, so nothing failed").isEmpty();

    // A Retry-After of 7 s, over the 5 s: no retry slept through either; the host is paused for
    // everyone, and the slot the refused request held is free again.
    HostGate other = new HostGate(1, Duration.ofSeconds(5));
    gate = other;
    PoliteClient flaky = client(Duration.ZERO);
    assertThatThrownBy(() -> flaky.get(base + "/flaky"))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FetchException.Reason.HOST_PAUSED);
              assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(7));
            });
    assertThat(sleeps).noneMatch(ms -> ms >= 5000L);
    assertThat(unavailable.get()).as("one request, no retry yet").isEqualTo(1);
    for (String page : List.of("a", "b", "c")) {
      assertThatThrownBy(() -> flaky.get(base + "/public/" + page))
          .isInstanceOfSatisfying(
              FetchException.class,
              e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.HOST_PAUSED));
    }
  }

  @Test
  void a_failing_host_without_retry_after_is_paused_for_all_and_no_long_backoff_is_slept()
      throws Exception {
    // A host in an outage: 503 without Retry-After. Until 2026-12-06 our own backoff (2, 4, 8,
    // 16 s per URL) was slept on the crawler service's shared threads, and other sources on the
    // host kept asking at their usual pace.
    HttpServer down =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger asked = new AtomicInteger();
    down.createContext(
        "/",
        e -> {
          if (e.getRequestURI().getPath().equals("/robots.txt")) {
            send(e, 404, "");
          } else {
            asked.incrementAndGet();
            send(e, 503, "down");
          }
        });
    down.start();
    try {
      String b = "http://127.0.0.1:" + down.getAddress().getPort();
      gate = new HostGate(2, Duration.ofSeconds(5));
      PoliteClient client =
          new PoliteClient(
              Set.of("127.0.0.1"),
              1000,
              5,
              Duration.ofSeconds(2),
              Duration.ZERO,
              gate,
              Listener.NONE,
              sleeps::add);
      // It fails as an HTTP error (the source comes back at its usual interval, a walk skips
      // the page), not as a pause that would bring the source back in seconds, for ever.
      assertThatThrownBy(() -> client.get(b + "/meme.jpg"))
          .isInstanceOfSatisfying(
              FetchException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(FetchException.Reason.HTTP_STATUS);
                assertThat(e.getMessage()).contains("answered 503 3 times", "paused for 8 s");
              });
      assertThat(sleeps).as("only the waits a thread may sleep").noneMatch(ms -> ms > 5_000L);
      assertThat(asked.get()).as("the first try and two retries").isEqualTo(3);
      // Another source on the host is told to come back later, without asking.
      assertThatThrownBy(() -> client.get(b + "/another.jpg"))
          .isInstanceOfSatisfying(
              FetchException.class,
              e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.HOST_PAUSED));
      assertThat(asked.get()).isEqualTo(3);
    } finally {
      down.stop(0);
    }
  }

  @Test
  void a_retry_after_given_as_an_http_date_is_read() {
    String inTwoMinutes =
        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
            java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(120));
    okhttp3.Response response =
        new okhttp3.Response.Builder()
            .request(new okhttp3.Request.Builder().url("http://h.example/").build())
            .protocol(okhttp3.Protocol.HTTP_1_1)
            .code(503)
            .message("busy")
            .header("Retry-After", inTwoMinutes)
            .build();
    assertThat(PoliteClient.retryAfter(response))
        .hasValueSatisfying(
            d -> assertThat(d).isBetween(Duration.ofSeconds(115), Duration.ofSeconds(120)));
  }

  @Test
  void requests_in_flight_to_one_host_are_capped_across_threads() throws Exception {
    for (int limit : new int[] {1, 3}) {
      gate = new HostGate(limit);
      maxInFlight.set(0);
      PoliteClient client = client(Duration.ZERO);
      var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
      List<java.util.concurrent.Future<byte[]>> calls = new java.util.ArrayList<>();
      for (int i = 0; i < 12; i++) {
        calls.add(pool.submit(() -> client.get(base + "/slow")));
      }
      for (var call : calls) {
        assertThat(new String(call.get(), StandardCharsets.UTF_8)).isEqualTo("slow");
      }
      pool.shutdown();
      assertThat(maxInFlight.get()).as("limit %d", limit).isEqualTo(limit);
    }
  }

  @Test
  void failed_requests_are_reported_by_host_and_reason() {
    PoliteClient client = client(Duration.ZERO);
    assertThatThrownBy(() -> client.get(base + "/missing"));
    assertThatThrownBy(() -> client.get(base + "/private/x"));
    assertThatThrownBy(() -> client.get(base + "/big"));
    assertThat(failures)
        .containsExactly(
            "127.0.0.1 http_404", "127.0.0.1 robots_disallowed", "127.0.0.1 too_large");
  }

  @Test
  void an_ip_address_host_is_checked_directly_and_after_a_redirect() throws Exception {
    int port = server.getAddress().getPort();
    // OkHttp never asks the Dns about a host written as an IP address: the client must check it.
    PoliteClient onlyLocalhost =
        new PoliteClient(
            Set.of("localhost"),
            1000,
            1,
            Duration.ofMillis(1),
            Duration.ZERO,
            gate,
            Listener.NONE,
            sleeps::add);
    assertThat(
            new String(
                onlyLocalhost.get("http://localhost:" + port + "/moved"), StandardCharsets.UTF_8))
        .as("a redirect on the same host is followed")
        .isEqualTo("ok");
    for (String url :
        List.of(
            "http://localhost:" + port + "/to-loopback",
            "http://127.0.0.1:" + port + "/public/a",
            "http://[::1]:" + port + "/public/a",
            "http://2130706433:" + port + "/public/a",
            "http://169.254.169.254/latest/meta-data/")) {
      assertThatThrownBy(() -> onlyLocalhost.get(url))
          .as(url)
          .isInstanceOfSatisfying(
              FetchException.class,
              e -> assertThat(e.reason()).isEqualTo(FetchException.Reason.BLOCKED_ADDRESS));
    }
    assertThatThrownBy(() -> client(Duration.ZERO).get(base + "/loop"))
        .isInstanceOf(FetchException.class)
        .hasMessageContaining("redirect loop");
  }

  private static void send(com.sun.net.httpserver.HttpExchange e, int status, String body)
      throws java.io.IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    e.sendResponseHeaders(status, bytes.length);
    e.getResponseBody().write(bytes);
    e.close();
  }
}
