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
    int metricsPort = freePort();
    Path conf =
        crawlerConfig(
            stack,
            metricsPort,
            "poll-interval = 1s, jitter = 0.1,\n  sources = [ { id = \"feed-"
                + run
                + "\", type = feed, location = \"http://127.0.0.1:"
                + server.getAddress().getPort()
                + "/feed.xml\", allow-private-hosts = [\"127.0.0.1\"] } ]");
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

  @Test
  void sources_added_at_run_time_are_crawled_watched_and_removed() throws Exception {
    MemescopeConfig stack = TestStack.config();
    String run = UUID.randomUUID().toString().substring(0, 8);
    Path memes = Files.createDirectories(dir.resolve("memes-" + run));
    Files.writeString(memes.resolve("one.jpg"), "1");
    Files.writeString(memes.resolve("two.png"), "2");
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        e -> {
          e.sendResponseHeaders(404, -1);
          e.close();
        });
    server.start();
    int metricsPort = freePort();
    // Only the watch and the refresh can make anything happen quickly: polls are 10 minutes apart.
    Path conf =
        crawlerConfig(
            stack, metricsPort, "poll-interval = 10m, sources-refresh = 1s, sources = []");
    MemescopeConfig config = new ConfigLoader().optFile(conf).load();
    String[] settings = {"--config", conf.toString()};
    String dirSource = "dir-" + run;
    String published = "memescope_crawl_published_total{source=\"" + dirSource + "\"} ";

    try (CrawlerService service = new CrawlerService(config)) {
      service.start();
      assertThat(sources(settings, "add", dirSource, "dir", memes.toString())).startsWith("0 ");
      assertThat(
              sources(
                  settings,
                  "add",
                  "broken-" + run,
                  "feed",
                  "http://127.0.0.1:" + server.getAddress().getPort() + "/feed.xml",
                  "--allow-private-host",
                  "127.0.0.1"))
          .startsWith("0 ");
      assertThat(sources(settings, "add", dirSource, "dir", memes.toString()))
          .as("an id is taken once")
          .startsWith("1 ")
          .contains("exists already");
      assertThat(sources(settings, "add", "bad id!", "rss", "x"))
          .startsWith("1 ")
          .contains("id: 'bad id!'")
          .contains("type: is 'rss'");
      assertThat(sources(settings, "list"))
          .containsPattern(dirSource + " +dir +added +" + memes.toRealPath())
          .containsPattern("broken-" + run + " +feed +added .*allow-private-hosts=127.0.0.1");

      String metrics = awaitMetrics(metricsPort, published + "2.0");
      assertThat(metrics).contains(published + "2.0");
      assertThat(awaitMetrics(metricsPort, "reason=\"http_404\""))
          .as("errors by host")
          .contains("memescope_crawl_http_errors_total{host=\"127.0.0.1\",reason=\"http_404\"}");

      Files.writeString(memes.resolve("three.gif"), "3");
      assertThat(awaitMetrics(metricsPort, published + "3.0"))
          .as("a new file is published soon, well before the next poll")
          .contains(published + "3.0");
      Files.writeString(memes.resolve("one.jpg"), "1, edited");
      Files.setLastModifiedTime(
          memes.resolve("one.jpg"), java.nio.file.attribute.FileTime.fromMillis(123_000));
      assertThat(awaitMetrics(metricsPort, published + "4.0"))
          .as("a file changed in place is published again")
          .contains(published + "4.0");

      assertThat(sources(settings, "remove", dirSource)).startsWith("0 ");
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (service.active().contains(dirSource) && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(service.active()).doesNotContain(dirSource).contains("broken-" + run);
      assertThat(sources(settings, "remove", dirSource)).startsWith("1 ").contains("no source");
    } finally {
      server.stop(0);
      sources(settings, "remove", "broken-" + run);
    }
  }

  @Test
  void a_source_removed_in_the_middle_of_a_pass_stops_after_its_current_page() throws Exception {
    MemescopeConfig stack = TestStack.config();
    String run = UUID.randomUUID().toString().substring(0, 8);
    // A site of pages each linking to two more, each answered after 300 ms: a pass of 20 pages
    // takes 8 s or so (100 ms apart at least). The service reads the sources every 2 s, so the
    // pass goes on for a few pages after the removal, saving its cursor after each.
    AtomicInteger pages = new AtomicInteger();
    AtomicInteger firstPage = new AtomicInteger();
    // When set, the next page other than the first is held until the latch is released.
    java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CountDownLatch> hold =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        e -> {
          String path = e.getRequestURI().getPath();
          if (!path.startsWith("/p/")) {
            e.sendResponseHeaders(404, -1);
            e.close();
            return;
          }
          pages.incrementAndGet();
          int n = Integer.parseInt(path.substring(3));
          if (n == 0) {
            firstPage.incrementAndGet();
          }
          try {
            Thread.sleep(300);
            java.util.concurrent.CountDownLatch until = n == 0 ? null : hold.getAndSet(null);
            if (until != null) {
              held.countDown();
              until.await(60, java.util.concurrent.TimeUnit.SECONDS);
            }
          } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
          }
          byte[] body =
              ("<html><body><img src=\"/img/"
                      + n
                      + ".png\"><a href=\"/p/"
                      + (2 * n + 1)
                      + "\">a</a><a href=\"/p/"
                      + (2 * n + 2)
                      + "\">b</a>")
                  .getBytes(StandardCharsets.UTF_8);
          e.getResponseHeaders().add("Content-Type", "text/html");
          e.sendResponseHeaders(200, body.length);
          e.getResponseBody().write(body);
          e.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool()); // pages at once
    server.start();
    int metricsPort = freePort();
    Path conf =
        crawlerConfig(
            stack,
            metricsPort,
            "poll-interval = 10m, sources-refresh = 2s, pages-per-pass = 20, min-interval = 100ms,"
                + " sources = []");
    MemescopeConfig config = new ConfigLoader().optFile(conf).load();
    String[] settings = {"--config", conf.toString()};
    String id = "slow-" + run;
    String start = "http://127.0.0.1:" + server.getAddress().getPort() + "/p/0";
    String[] add = {"add", id, "html", start, "--depth", "10", "--allow-private-host", "127.0.0.1"};
    try (CrawlerService service = new CrawlerService(config)) {
      service.start();
      assertThat(sources(settings, add)).startsWith("0 ");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (pages.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(pages.get()).as("the pass has begun").isGreaterThanOrEqualTo(2);
      assertThat(sources(settings, "remove", id)).startsWith("0 ");
      deadline = System.nanoTime() + 20_000_000_000L;
      while (service.active().contains(id) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(service.active()).doesNotContain(id);
      int atRemoval = pages.get();
      Thread.sleep(4_000); // ten pages' time
      assertThat(pages.get())
          .as("at most the page in flight when it was removed (%d pages by then)", atRemoval)
          .isLessThanOrEqualTo(atRemoval + 1)
          .isLessThan(20);

      // Added again, it starts from its first page: the removed walk's cursor is gone, though
      // its pass ran on after the removal.
      assertThat(firstPage.get()).isEqualTo(1);
      assertThat(sources(settings, add)).startsWith("0 ");
      deadline = System.nanoTime() + 30_000_000_000L;
      while (firstPage.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(firstPage.get()).as("the first page, read again").isEqualTo(2);

      // Removed and added again, settings unchanged, quicker than the service reads the sources
      // (the command opens a session of its own each time, seconds: so here in one session, a
      // few milliseconds apart): still another source, which starts from its first page.
      int walked = pages.get();
      deadline = System.nanoTime() + 30_000_000_000L;
      while (pages.get() < walked + 2 && System.nanoTime() < deadline) {
        Thread.sleep(50); // a page or two into the new walk, so that it has a cursor
      }
      // The old pass is held on a page meanwhile: the new source must not start before that pass
      // has ended (else it would read the old walk's cursor, or the old pass would delete its).
      hold.set(release);
      assertThat(held.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("a page held").isTrue();
      try (var session = io.memescope.core.schema.Clients.cassandraKeyspace(config.cassandra())) {
        SourceRegistry registry = new SourceRegistry(config.crawler(), session);
        io.memescope.core.config.CrawlerSettings.SourceSpec spec = registry.find(id).orElseThrow();
        registry.remove(id);
        registry.add(spec, java.time.Instant.now());
      }
      Thread.sleep(6_000); // three refreshes
      assertThat(firstPage.get())
          .as("the new source waits for the old pass, held on a page")
          .isEqualTo(2);
      release.countDown();
      deadline = System.nanoTime() + 30_000_000_000L;
      while (firstPage.get() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(firstPage.get()).as("the first page, read a third time").isEqualTo(3);
    } finally {
      release.countDown();
      server.stop(0);
      sources(settings, "remove", id);
    }
  }

  @Test
  void sources_whose_host_is_rate_limited_do_not_hold_up_the_others() throws Exception {
    MemescopeConfig stack = TestStack.config();
    String run = UUID.randomUUID().toString().substring(0, 8);
    Path memes = Files.createDirectories(dir.resolve("memes-" + run));
    Files.writeString(memes.resolve("one.jpg"), "1");
    // A host whose rate limit the first request uses up for ten minutes (as Reddit says it).
    AtomicInteger feeds = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        e -> {
          if (e.getRequestURI().getPath().equals("/robots.txt")) {
            e.sendResponseHeaders(404, -1);
            e.close();
            return;
          }
          feeds.incrementAndGet();
          byte[] rss =
              ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
                      + "<link>http://x/</link><description>d</description></channel></rss>")
                  .getBytes(StandardCharsets.UTF_8);
          e.getResponseHeaders().add("x-ratelimit-remaining", "0");
          e.getResponseHeaders().add("x-ratelimit-reset", "600");
          e.sendResponseHeaders(200, rss.length);
          e.getResponseBody().write(rss);
          e.close();
        });
    server.start();
    int metricsPort = freePort();
    // More limited sources than the service has scheduler threads (4), all polled every second.
    StringBuilder sources = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      sources
          .append("{ id = \"limited-")
          .append(i)
          .append('-')
          .append(run)
          .append("\", type = feed, location = \"http://127.0.0.1:")
          .append(server.getAddress().getPort())
          .append("/feed-")
          .append(i)
          .append(".xml\", allow-private-hosts = [\"127.0.0.1\"] },\n");
    }
    String dirSource = "dir-" + run;
    sources.append("{ id = \"" + dirSource + "\", type = dir, location = \"" + memes + "\" }\n");
    Path conf =
        crawlerConfig(
            stack, metricsPort, "poll-interval = 1s, jitter = 0.1, sources = [\n" + sources + "]");
    MemescopeConfig config = new ConfigLoader().optFile(conf).load();
    String published = "memescope_crawl_published_total{source=\"" + dirSource + "\"} ";

    try (CrawlerService service = new CrawlerService(config)) {
      service.start();
      assertThat(awaitMetrics(metricsPort, published + "1.0")).contains(published + "1.0");
      String paused = awaitMetrics(metricsPort, "memescope_crawl_paused_total");
      // Several seconds of one-second polls later, a new file is still found at once: the
      // limited sources wait for their host's reset off the threads, not asleep on them.
      Thread.sleep(5_000);
      Files.writeString(memes.resolve("two.png"), "2");
      assertThat(awaitMetrics(metricsPort, published + "2.0"))
          .as("the directory source still gets a thread")
          .contains(published + "2.0");
      assertThat(paused)
          .containsPattern("memescope_crawl_paused_total\\{source=\"limited-\\d-" + run);
      // Once, or twice when a second request was already in flight (per-host-concurrency 2)
      // before the first answer paused the host; then left alone until its reset.
      assertThat(feeds.get()).as("requests to the limited host").isBetween(1, 2);
    } finally {
      server.stop(0);
    }
  }

  /** The test stack's settings with the crawler on, its metrics on {@code metricsPort}. */
  private Path crawlerConfig(MemescopeConfig stack, int metricsPort, String crawler)
      throws java.io.IOException {
    return Files.writeString(
        dir.resolve("memescope.conf"),
        "include file(\""
            + Runtimes.root().resolve("infra/src/test/resources/test-stack.conf")
            + "\")\nhome = \""
            + stack.home()
            + "\"\ncrawler { enabled = true, metrics-port = "
            + metricsPort
            + ", "
            + crawler
            + " }\n");
  }

  private static int freePort() throws java.io.IOException {
    try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Runs {@code memescope sources ...}; returns the exit code, a space, and what it printed. */
  private static String sources(String[] settings, String... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stdout = System.out;
    java.io.PrintStream stderr = System.err;
    java.io.PrintStream capture = new java.io.PrintStream(out, true, StandardCharsets.UTF_8);
    System.setOut(capture);
    System.setErr(capture);
    int exit;
    try {
      String[] all = java.util.Arrays.copyOf(args, args.length + settings.length);
      System.arraycopy(settings, 0, all, args.length, settings.length);
      exit = SourcesMain.run(all);
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    return exit + " " + out.toString(StandardCharsets.UTF_8);
  }

  private static String awaitMetrics(int port, String expected) throws Exception {
    String metrics = "";
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < deadline && !metrics.contains(expected)) {
      Thread.sleep(300);
      metrics = get("http://127.0.0.1:" + port + "/metrics");
    }
    return metrics;
  }

  private static String get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
