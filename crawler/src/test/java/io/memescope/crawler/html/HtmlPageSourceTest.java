package io.memescope.crawler.html;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.http.PoliteClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Following same-host links, against a small site of our own on loopback: index → a, b (→ c → d), a
 * broken link, a page robots.txt disallows, and a link to another host. Each page has one image.
 */
class HtmlPageSourceTest {
  HttpServer server;
  String base;
  final Map<String, Integer> hits = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    Map<String, String> pages = new HashMap<>();
    pages.put(
        "/",
        "<a href='/a.html'>a</a> <a href='b.html#top'>b</a> <a href='/gone.html'>x</a>"
            + " <a href='/private/p.html'>p</a> <a href='http://other.example/o.html'>o</a>"
            + " <a href='mailto:x@y'>m</a> <img src='/private/secret.jpg'>");
    pages.put("/a.html", "<a href='/'>home</a> <a href='/b.html'>b again</a>");
    pages.put("/b.html", "<a href='/c.html'>c</a>");
    pages.put("/c.html", "<a href='/d.html'>d</a>");
    pages.put("/d.html", "");
    pages.put("/private/p.html", "");
    // Reached through a redirect (/memes → /memes/): its relative links are relative to /memes/.
    pages.put("/memes/", "<img src='pic.jpg'> <a href='next.html'>next</a>");
    pages.put("/memes/next.html", "");
    pages.put("/elsewhere/", "<a href='/elsewhere/more.html'>more</a>");
    pages.put("/elsewhere/more.html", "");
    server.createContext(
        "/",
        e -> {
          String path = e.getRequestURI().getPath();
          hits.merge(path, 1, Integer::sum);
          String body;
          int status = 200;
          if (path.equals("/memes") || path.equals("/login-wall")) {
            // /login-wall sends the walk to another host (localhost, not 127.0.0.1)
            e.getResponseHeaders()
                .add(
                    "Location",
                    path.equals("/memes")
                        ? "/memes/"
                        : "http://localhost:" + server.getAddress().getPort() + "/elsewhere/");
            e.sendResponseHeaders(301, -1);
            e.close();
            return;
          }
          if (path.equals("/robots.txt")) {
            body = "User-agent: *\nDisallow: /private/\n";
          } else if (pages.containsKey(path)) {
            String name = path.equals("/") ? "index" : path.substring(1).replace(".html", "");
            body =
                "<html><head><title>"
                    + name
                    + "</title></head><body><img src='/img/"
                    + name.replace('/', '-')
                    + ".jpg'>"
                    + pages.get(path)
                    + "</body></html>";
          } else {
            status = 404;
            body = "not here";
          }
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          e.sendResponseHeaders(status, bytes.length);
          e.getResponseBody().write(bytes);
          e.close();
        });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HtmlPageSource source(int depth, int maxPages) {
    PoliteClient http = new PoliteClient(Set.of("127.0.0.1"), 1 << 20, 2, Duration.ofMillis(10));
    return new HtmlPageSource("site", base + "/", http, Clock.systemUTC(), depth, maxPages);
  }

  /** The images of a whole walk, in order, by file name; skips are added to {@code skipped}. */
  private static List<String> walk(HtmlPageSource source, Map<String, Integer> skipped)
      throws Exception {
    List<String> images = new ArrayList<>();
    Optional<String> cursor = Optional.empty();
    do {
      SourcePage page = source.fetch(cursor);
      page.records().stream().map(CrawlRecord::url).forEach(images::add);
      page.skipped().forEach((k, v) -> skipped.merge(k, v, Integer::sum));
      cursor = page.after();
    } while (cursor.isPresent());
    return images.stream().map(u -> u.substring(u.lastIndexOf('/') + 1)).toList();
  }

  /** Answers {@code bytes} as {@code type}; a client that hangs up part-way is no failure here. */
  private static void answer(com.sun.net.httpserver.HttpExchange e, String type, byte[] bytes) {
    try {
      e.getResponseHeaders().add("Content-Type", type);
      e.sendResponseHeaders(200, bytes.length);
      for (int off = 0; off < bytes.length; off += 65536) {
        e.getResponseBody().write(bytes, off, Math.min(65536, bytes.length - off));
      }
      e.close();
    } catch (java.io.IOException gone) {
      // the crawler dropped the connection
    }
  }

  @Test
  void a_page_served_in_latin1_is_read_by_the_charset_its_header_names() throws Exception {
    server.createContext(
        "/legacy/",
        e ->
            answer(
                e,
                "text/html; charset=ISO-8859-1",
                "<html><head><title>Caf\u00e9</title></head><body><img src='caf\u00e9.jpg'></body>"
                    .getBytes(StandardCharsets.ISO_8859_1)));
    PoliteClient http = new PoliteClient(Set.of("127.0.0.1"), 1 << 20, 2, Duration.ofMillis(10));
    SourcePage page =
        new HtmlPageSource("legacy", base + "/legacy/", http, Clock.systemUTC(), 0, 1)
            .fetch(Optional.empty());
    assertThat(page.records()).extracting(CrawlRecord::title).containsExactly("Caf\u00e9");
    assertThat(page.records())
        .extracting(CrawlRecord::url)
        .containsExactly(base + "/legacy/caf%C3%A9.jpg");
  }

  /**
   * A start page of 24 MiB, over the crawler's 16 MiB limit, with an image at its start and one at
   * its end: its first 2 MiB (what is parsed) are read and kept, and the page is counted as cut.
   * Until 2026-12-07 such a page was refused (too large), and its source's pass failed; under 16
   * MiB it was held whole to parse its first 2 MiB.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "length declared: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void a_page_over_the_largest_response_is_cut_and_read_not_refused(boolean declared)
      throws Exception {
    int size = 24 << 20;
    server.createContext(
        "/huge/",
        e -> {
          byte[] start =
              "<html><head><title>huge</title></head><body><img src='first.jpg'>"
                  .getBytes(StandardCharsets.UTF_8);
          byte[] end = "<img src='late.jpg'></body></html>".getBytes(StandardCharsets.UTF_8);
          byte[] filler = "<p>filler</p>\n".repeat(4096).getBytes(StandardCharsets.UTF_8);
          try {
            e.sendResponseHeaders(200, declared ? size : 0);
            var out = e.getResponseBody();
            out.write(start);
            long left = size - start.length - end.length;
            while (left > 0) {
              int n = (int) Math.min(left, filler.length);
              out.write(filler, 0, n);
              left -= n;
            }
            out.write(end);
            e.close();
          } catch (java.io.IOException gone) {
            // the crawler closed the connection: the rest of the page is not sent
          }
        });
    PoliteClient http = new PoliteClient(Set.of("127.0.0.1"), 16 << 20, 2, Duration.ofMillis(10));
    SourcePage page =
        new HtmlPageSource("huge", base + "/huge/", http, Clock.systemUTC(), 0, 1)
            .fetch(Optional.empty());
    assertThat(page.records())
        .extracting(CrawlRecord::url)
        .containsExactly(base + "/huge/first.jpg");
    assertThat(page.records()).extracting(CrawlRecord::title).containsExactly("huge");
    assertThat(page.skipped()).isEqualTo(Map.of("page_cut", 1));
  }

  /**
   * A gallery linking its full-size photos: each link is asked, answered as an image, and left
   * unread (counted as page_unwanted_type), and the walk goes on to the pages. A start URL that is
   * an image fails its pass, naming the type. Until 2026-12-07 each photo was downloaded and parsed
   * as HTML, for nothing.
   */
  @Test
  void links_answered_as_images_are_not_read_as_pages() throws Exception {
    server.createContext(
        "/gallery/",
        e -> {
          String path = e.getRequestURI().getPath();
          if (path.endsWith(".jpg")) {
            answer(e, "image/jpeg", new byte[3 << 20]);
          } else {
            answer(
                e,
                "text/html; charset=utf-8",
                (path.endsWith("next.html")
                        ? "<img src='/img/next.jpg'>"
                        : "<img src='/img/thumb.jpg'><a href='full.jpg'>full</a>"
                            + " <a href='next.html'>next</a>")
                    .getBytes(StandardCharsets.UTF_8));
          }
        });
    PoliteClient http = new PoliteClient(Set.of("127.0.0.1"), 16 << 20, 2, Duration.ofMillis(10));
    Map<String, Integer> skipped = new HashMap<>();
    List<String> images =
        walk(
            new HtmlPageSource("gallery", base + "/gallery/", http, Clock.systemUTC(), 1, 10),
            skipped);
    assertThat(images).containsExactly("thumb.jpg", "next.jpg");
    assertThat(skipped).isEqualTo(Map.of("page_unwanted_type", 1));
    assertThat(hits).containsKey("/robots.txt");

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new HtmlPageSource(
                        "photo", base + "/gallery/full.jpg", http, Clock.systemUTC(), 0, 1)
                    .fetch(Optional.empty()))
        .isInstanceOfSatisfying(
            io.memescope.crawler.http.FetchException.class,
            e ->
                assertThat(e.reason())
                    .isEqualTo(io.memescope.crawler.http.FetchException.Reason.UNWANTED_TYPE))
        .hasMessageContaining("answered image/jpeg");
  }

  @Test
  void the_types_that_may_be_html_pages() {
    for (String page :
        new String[] {
          null,
          "text/html",
          "text/html; charset=utf-8",
          "application/xhtml+xml",
          "text/plain",
          "application/octet-stream",
          "TEXT/HTML",
          "text/html ; charset=utf-8",
          "not a media type",
          "\"image/jpeg\""
        }) {
      assertThat(HtmlPageSource.mayBeHtml(page)).as(page).isTrue();
    }
    for (String other :
        new String[] {
          "image/jpeg",
          "Image/PNG; q=1",
          "image/webp; charset=\"x;y\"",
          // Forms OkHttp's MediaType.parse gives up on, which would then pass for pages.
          "image/png ; q=1",
          "image/jpeg; charset=",
          "video/mp4; codecs=avc1.42E01E, mp4a.40.2",
          "image/jpeg; name=my photo.jpg",
          "image/",
          "image",
          "video/mp4",
          "audio/mpeg",
          "font/woff2",
          "model/gltf-binary",
          "application/pdf",
          "APPLICATION/ZIP"
        }) {
      assertThat(HtmlPageSource.mayBeHtml(other)).as(other).isFalse();
    }
  }

  @Test
  void slow_robots_txt_of_image_hosts_hold_a_page_no_longer_than_its_budget() throws Exception {
    // Three image hosts whose robots.txt takes 1.5 s each. Until 2026-12-06 a page waited for
    // every one (up to 6 minutes a host), on a thread the crawler's sources share.
    Map<Integer, Integer> robotsAsked = new ConcurrentHashMap<>();
    List<HttpServer> hosts = new ArrayList<>();
    StringBuilder html = new StringBuilder("<html><body>");
    try {
      for (int i = 0; i < 3; i++) {
        HttpServer host =
            HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int port = host.getAddress().getPort();
        host.createContext(
            "/robots.txt",
            e -> {
              robotsAsked.merge(port, 1, Integer::sum);
              try {
                Thread.sleep(1_500);
              } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
              }
              e.sendResponseHeaders(404, -1);
              e.close();
            });
        host.start();
        hosts.add(host);
        html.append("<img src='http://127.0.0.1:")
            .append(port)
            .append("/m")
            .append(i)
            .append(".jpg'>");
      }
      HttpServer site =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      byte[] body = html.append("</body></html>").toString().getBytes(StandardCharsets.UTF_8);
      site.createContext(
          "/",
          e -> {
            if (e.getRequestURI().getPath().equals("/robots.txt")) {
              e.sendResponseHeaders(404, -1);
            } else {
              e.getResponseHeaders().add("Content-Type", "text/html");
              e.sendResponseHeaders(200, body.length);
              e.getResponseBody().write(body);
            }
            e.close();
          });
      site.start();
      hosts.add(site);
      PoliteClient http = new PoliteClient(Set.of("127.0.0.1"), 1 << 20, 2, Duration.ofMillis(10));
      HtmlPageSource source =
          new HtmlPageSource(
              "site",
              "http://127.0.0.1:" + site.getAddress().getPort() + "/",
              http,
              Clock.systemUTC(),
              0,
              1);
      source.robotsBudget = Duration.ofMillis(500);
      SourcePage page = source.fetch(Optional.empty());
      assertThat(page.records())
          .extracting(CrawlRecord::url)
          .singleElement()
          .asString()
          .endsWith("/m0.jpg");
      assertThat(page.skipped()).containsEntry("robots_unknown", 2);
      assertThat(robotsAsked).as("only the first host was asked, within the budget").hasSize(1);
    } finally {
      hosts.forEach(h -> h.stop(0));
    }
  }

  @Test
  void links_on_a_page_reached_by_a_redirect_are_relative_to_where_it_was_found() throws Exception {
    PoliteClient http = new PoliteClient(Set.of("127.0.0.1"), 1 << 20, 2, Duration.ofMillis(10));
    HtmlPageSource source =
        new HtmlPageSource("site", base + "/memes", http, Clock.systemUTC(), 1, 100);
    List<String> urls = new ArrayList<>();
    Optional<String> cursor = Optional.empty();
    do {
      SourcePage page = source.fetch(cursor);
      page.records().stream().map(CrawlRecord::url).forEach(urls::add);
      cursor = page.after();
    } while (cursor.isPresent());
    // Resolved against /memes (before the redirect) they were /pic.jpg and /next.html: a 404.
    assertThat(urls).contains(base + "/memes/pic.jpg").doesNotContain(base + "/pic.jpg");
    assertThat(hits).containsKey("/memes/next.html").doesNotContainKey("/next.html");
  }

  @Test
  void a_start_page_redirected_to_another_site_does_not_lead_the_walk_there() throws Exception {
    PoliteClient http =
        new PoliteClient(Set.of("127.0.0.1", "localhost"), 1 << 20, 2, Duration.ofMillis(10));
    HtmlPageSource source =
        new HtmlPageSource("site", base + "/login-wall", http, Clock.systemUTC(), 2, 100);
    Optional<String> cursor = Optional.empty();
    do {
      cursor = source.fetch(cursor).after();
    } while (cursor.isPresent());
    assertThat(hits).containsKey("/elsewhere/").doesNotContainKey("/elsewhere/more.html");
    assertThat(HtmlPageSource.site("https://www.example.co.uk/a"))
        .isEqualTo(HtmlPageSource.site("http://example.co.uk/b"))
        .isEqualTo("example.co.uk");
  }

  @Test
  void depth_zero_reads_only_the_start_page() throws Exception {
    Map<String, Integer> skipped = new HashMap<>();
    // The start page also shows /private/secret.jpg, which robots.txt disallows: not published.
    assertThat(walk(source(0, 100), skipped)).containsExactly("index.jpg");
    assertThat(skipped).containsEntry("robots_disallowed", 1);
  }

  @Test
  void links_are_followed_breadth_first_on_the_same_host_to_the_depth() throws Exception {
    Map<String, Integer> skipped = new HashMap<>();
    List<String> images = walk(source(2, 100), skipped);
    // depth 1: a, b (the fragment dropped), gone (404), private (robots); depth 2: c. Not d.
    assertThat(images).containsExactly("index.jpg", "a.jpg", "b.jpg", "c.jpg");
    assertThat(skipped)
        .containsEntry("page_http_status", 1)
        .containsEntry("page_robots_disallowed", 1);
    assertThat(hits).doesNotContainKey("/d.html").doesNotContainKey("/private/p.html");
    assertThat(hits.get("/b.html")).as("b is read once, though linked twice").isEqualTo(1);
  }

  @Test
  void max_pages_bounds_a_walk_and_the_cursor_resumes_it() throws Exception {
    HtmlPageSource source = source(3, 3);
    SourcePage first = source.fetch(Optional.empty());
    assertThat(first.after()).isPresent();
    // A new source object (a restarted crawler) continues from the cursor.
    HtmlPageSource restarted = source(3, 3);
    SourcePage second = restarted.fetch(first.after());
    SourcePage third = restarted.fetch(second.after());
    assertThat(third.after()).as("3 pages read: the pass ends").isEmpty();
    assertThat(List.of(first, second, third))
        .flatExtracting(SourcePage::records)
        .extracting(
            r -> ((CrawlRecord) r).url().substring(((CrawlRecord) r).url().lastIndexOf('/') + 1))
        .containsExactly("index.jpg", "a.jpg", "b.jpg");
  }
}
