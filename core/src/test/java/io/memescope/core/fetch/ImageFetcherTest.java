package io.memescope.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.memescope.core.fetch.FetchOutcome.Fetched;
import io.memescope.core.fetch.FetchOutcome.Rejected;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fetcher against a hostile HTTP server of the test's own on 127.0.0.1: lying content types,
 * endless and dripping bodies, redirect loops, redirects into the private network. Only 127.0.0.1
 * (or, where the test is about the guard, localhost) is an allowed private host.
 */
class ImageFetcherTest {
  private static final long CAP = 1024 * 1024;
  private static final long FIFTY_MB = 50L * 1024 * 1024;

  private static HttpServer server;
  private static ExecutorService serverThreads;
  private static int port;
  private static byte[] png;
  private static byte[] jpeg;
  private static final AtomicLong hugeWritten = new AtomicLong();
  private static final AtomicInteger dripsStarted = new AtomicInteger();
  private static final AtomicInteger dripsEnded = new AtomicInteger();

  @TempDir Path tmp;
  private Path root;
  private Path outside;

  @BeforeAll
  static void startServer() throws Exception {
    png = encode("png", 32, 24);
    jpeg = encode("jpeg", 200, 150);
    serverThreads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "hostile-server");
              t.setDaemon(true);
              return t;
            });
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
    server.setExecutor(serverThreads);
    port = server.getAddress().getPort();

    serve("/good.png", ex -> send(ex, 200, "image/png", png));
    serve("/good.jpg", ex -> send(ex, 200, "image/jpeg", jpeg));
    serve("/png-as-text", ex -> send(ex, 200, "text/plain", png));
    serve("/truncated.jpg", ex -> send(ex, 200, "image/jpeg", half(jpeg)));
    serve("/empty", ex -> send(ex, 200, "image/png", new byte[0]));
    serve(
        "/html-as-jpeg",
        ex ->
            send(
                ex,
                200,
                "image/jpeg",
                "<!DOCTYPE html>\n<html><body>This image was removed</body></html>"
                    .getBytes(StandardCharsets.UTF_8)));
    serve(
        "/image.svg",
        ex ->
            send(
                ex,
                200,
                "image/svg+xml",
                ("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"9\""
                        + " height=\"9\"><rect width=\"9\" height=\"9\"/></svg>")
                    .getBytes(StandardCharsets.UTF_8)));
    serve("/huge-chunked", ex -> huge(ex, 0));
    serve("/huge-declared", ex -> huge(ex, FIFTY_MB));
    serve("/drip", ImageFetcherTest::drip);
    serve(
        "/stall",
        ex -> {
          ex.sendResponseHeaders(200, 0);
          try {
            Thread.sleep(5000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    serve("/loop-a", ex -> redirect(ex, "/loop-b"));
    serve("/loop-b", ex -> redirect(ex, "/loop-a"));
    serve(
        "/chain/",
        ex -> {
          int n = Integer.parseInt(ex.getRequestURI().getPath().substring("/chain/".length()));
          redirect(ex, "/chain/" + (n + 1));
        });
    serve("/relative", ex -> redirect(ex, "good.png"));
    serve("/to-ip", ex -> redirect(ex, "http://127.0.0.1:" + port + "/good.png"));
    serve("/to-localhost", ex -> redirect(ex, "http://localhost:" + port + "/good.png"));
    serve("/to-metadata", ex -> redirect(ex, "http://169.254.169.254/latest/meta-data/"));
    serve("/to-file", ex -> redirect(ex, "file:///etc/passwd"));
    serve("/missing", ex -> send(ex, 404, "text/html", "<html>nope</html>".getBytes()));
    serve("/noindex.png", ex -> robots(ex, "noarchive", "noindex, nofollow"));
    serve("/noai-for-us.png", ex -> robots(ex, "otherbot: noindex", "memescope: noai"));
    serve("/noindex-for-others.png", ex -> robots(ex, "otherbot: noindex", "max-snippet: 20"));
    server.start();
  }

  @AfterAll
  static void stopServer() {
    server.stop(0);
    serverThreads.shutdownNow();
  }

  @BeforeEach
  void files() throws IOException {
    root = Files.createDirectories(tmp.resolve("root"));
    outside = Files.createDirectories(tmp.resolve("outside"));
    Files.write(root.resolve("a.png"), png);
    Files.createDirectories(root.resolve("sub"));
    Files.write(root.resolve("sub/b.jpg"), jpeg);
    Files.write(root.resolve("empty.png"), new byte[0]);
    Files.write(outside.resolve("secret.png"), png);
    Files.createSymbolicLink(root.resolve("escape.png"), outside.resolve("secret.png"));
    Files.createSymbolicLink(root.resolve("inner.png"), root.resolve("a.png"));
    Files.createSymbolicLink(root.resolve("escape-dir"), outside);
  }

  // ---------------------------------------------------------------- fixtures

  static byte[] encode(String format, int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(42);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt(0xffffff));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }

  private static byte[] half(byte[] bytes) {
    return Arrays.copyOf(bytes, bytes.length / 2);
  }

  private static void serve(String path, HttpHandler handler) {
    server.createContext(
        path,
        ex -> {
          try {
            handler.handle(ex);
          } catch (IOException e) {
            // the client went away: that is what several tests do on purpose
          } finally {
            ex.close();
          }
        });
  }

  private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** The good PNG, with an {@code X-Robots-Tag} header for each of {@code tags}. */
  private static void robots(HttpExchange ex, String... tags) throws IOException {
    for (String tag : tags) {
      ex.getResponseHeaders().add("X-Robots-Tag", tag);
    }
    send(ex, 200, "image/png", png);
  }

  private static void redirect(HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().set("Location", location);
    ex.sendResponseHeaders(302, -1);
  }

  /** 50 MB of a "PNG" (the real signature, then filler), chunked or with a Content-Length. */
  private static void huge(HttpExchange ex, long declared) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "image/png");
    ex.sendResponseHeaders(200, declared);
    byte[] chunk = new byte[64 * 1024];
    System.arraycopy(png, 0, chunk, 0, 16);
    hugeWritten.set(0);
    try (OutputStream out = ex.getResponseBody()) {
      for (long written = 0; written < FIFTY_MB; written += chunk.length) {
        out.write(chunk);
        hugeWritten.addAndGet(chunk.length);
        Arrays.fill(chunk, 0, 16, (byte) 0);
      }
    }
  }

  /** A byte every 200 ms, forever (well, ten minutes), until the client hangs up. */
  private static void drip(HttpExchange ex) throws IOException {
    dripsStarted.incrementAndGet();
    try {
      ex.getResponseHeaders().set("Content-Type", "image/png");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      for (int i = 0; i < 3000; i++) {
        out.write(png[i % png.length]);
        out.flush();
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      dripsEnded.incrementAndGet();
    }
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  private FetchSettings settings() {
    return FetchSettings.defaults()
        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10))
        .withMaxBytes(CAP)
        .withAllowedPrivateHosts(Set.of("127.0.0.1"))
        .withAllowedFileRoots(List.of(root))
        .withConcurrency(64, 64);
  }

  private static FetchOutcome get(ImageFetcher fetcher, String url) throws Exception {
    return fetcher.fetch(url).get(30, TimeUnit.SECONDS);
  }

  private FetchOutcome get(String url) throws Exception {
    try (ImageFetcher fetcher = new ImageFetcher(settings())) {
      return get(fetcher, url);
    }
  }

  /** Fetches {@code url} with a room that notes each size asked for and answers {@code take}. */
  private static FetchOutcome withRoom(
      ImageFetcher fetcher, String url, List<Long> asked, boolean take) throws Exception {
    return fetcher
        .fetch(
            url,
            declared -> {
              asked.add(declared);
              return take;
            })
        .get(30, TimeUnit.SECONDS);
  }

  private static Rejected rejected(FetchOutcome outcome, RejectReason reason) {
    assertThat(outcome).isInstanceOf(Rejected.class);
    Rejected rejected = (Rejected) outcome;
    assertThat(rejected.reason()).as(rejected.detail()).isEqualTo(reason);
    return rejected;
  }

  private static Fetched fetched(FetchOutcome outcome) {
    assertThat(outcome).as(outcome.toString()).isInstanceOf(Fetched.class);
    return (Fetched) outcome;
  }

  // ---------------------------------------------------------------- good answers

  @Test
  void fetches_a_png_and_a_jpeg() throws Exception {
    Fetched p = fetched(get(url("/good.png")));
    assertThat(p.bytes()).isEqualTo(png);
    assertThat(p.format()).isEqualTo("png");
    assertThat(p.contentType()).isEqualTo("image/png");
    assertThat(p.url()).isEqualTo(url("/good.png"));
    assertThat(p.finalUrl()).isEqualTo(url("/good.png"));

    Fetched j = fetched(get(url("/good.jpg")));
    assertThat(j.bytes()).isEqualTo(jpeg);
    assertThat(j.format()).isEqualTo("jpeg");
  }

  @Test
  void a_body_the_callers_room_cannot_take_is_deferred_unread_with_its_declared_size()
      throws Exception {
    try (ImageFetcher fetcher = new ImageFetcher(settings())) {
      List<Long> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
      FetchOutcome no = withRoom(fetcher, url("/good.png"), asked, false);
      assertThat(no).isEqualTo(new FetchOutcome.Deferred(url("/good.png"), png.length));
      // Asked again, with room: read as ever.
      FetchOutcome yes = withRoom(fetcher, url("/good.png"), asked, true);
      assertThat(fetched(yes).bytes()).isEqualTo(png);
      // Undeclared (chunked, and only then too large): -1. A redirect's own answer is not asked.
      FetchOutcome chunked = withRoom(fetcher, url("/huge-chunked"), asked, false);
      assertThat(chunked).isEqualTo(new FetchOutcome.Deferred(url("/huge-chunked"), -1));
      // The connection was dropped, not drained: the server got only as far as the socket buffers
      // let it.
      Thread.sleep(200);
      assertThat(hugeWritten.get()).isLessThan(FIFTY_MB / 4);
      fetched(fetcher.fetch(url("/relative"), d -> asked.add(d)).get(30, TimeUnit.SECONDS));
      String file = root.resolve("a.png").toUri().toString();
      assertThat(fetcher.fetch(file, d -> asked.add(d) && false).get(30, TimeUnit.SECONDS))
          .isEqualTo(new FetchOutcome.Deferred(file, png.length));
      assertThat(asked)
          .containsExactly(
              (long) png.length, (long) png.length, -1L, (long) png.length, (long) png.length);
      // A declared size over the cap is too_large before the room is asked.
      List<Long> none = new java.util.concurrent.CopyOnWriteArrayList<>();
      rejected(
          fetcher.fetch(url("/huge-declared"), d -> none.add(d)).get(30, TimeUnit.SECONDS),
          RejectReason.TOO_LARGE);
      assertThat(none).isEmpty();
    }
  }

  @Test
  void the_magic_bytes_decide_not_the_content_type() throws Exception {
    Fetched p = fetched(get(url("/png-as-text")));
    assertThat(p.format()).isEqualTo("png");
    assertThat(p.contentType()).isEqualTo("text/plain");
  }

  @Test
  void a_truncated_jpeg_is_fetched_decoding_will_judge_it() throws Exception {
    Fetched j = fetched(get(url("/truncated.jpg")));
    assertThat(j.bytes()).isEqualTo(half(jpeg));
    assertThat(j.format()).isEqualTo("jpeg");
  }

  @Test
  void a_relative_redirect_is_followed() throws Exception {
    Fetched p = fetched(get(url("/relative")));
    assertThat(p.url()).isEqualTo(url("/relative"));
    assertThat(p.finalUrl()).isEqualTo(url("/good.png"));
    assertThat(p.bytes()).isEqualTo(png);
  }

  // ---------------------------------------------------------------- bad content

  @Test
  void an_x_robots_tag_that_forbids_indexing_for_all_or_for_us_is_refused() throws Exception {
    Rejected all = rejected(get(url("/noindex.png")), RejectReason.ROBOTS_TAG);
    assertThat(all.detail()).contains("X-Robots-Tag noindex").contains("/noindex.png");
    assertThat(rejected(get(url("/noai-for-us.png")), RejectReason.ROBOTS_TAG).detail())
        .contains("noai");
    assertThat(fetched(get(url("/noindex-for-others.png"))).bytes())
        .as("a tag for another crawler is not ours")
        .isEqualTo(png);
    try (ImageFetcher ignoring =
        new ImageFetcher(settings().withRefusedRobotsDirectives(Set.of()))) {
      assertThat(fetched(get(ignoring, url("/noindex.png"))).bytes())
          .as("with no refused directives the header is ignored")
          .isEqualTo(png);
    }
  }

  @Test
  void zero_bytes_are_empty() throws Exception {
    assertThat(rejected(get(url("/empty")), RejectReason.EMPTY).detail()).contains("no bytes");
  }

  @Test
  void html_served_as_jpeg_is_not_an_image() throws Exception {
    Rejected r = rejected(get(url("/html-as-jpeg")), RejectReason.NOT_AN_IMAGE);
    assertThat(r.detail()).contains("markup").contains("image/jpeg");
  }

  @Test
  void svg_is_an_unsupported_format() throws Exception {
    Rejected r = rejected(get(url("/image.svg")), RejectReason.UNSUPPORTED_FORMAT);
    assertThat(r.detail()).contains("SVG");
  }

  @Test
  void fifty_streamed_megabytes_under_a_one_megabyte_cap_are_too_large_at_once() throws Exception {
    long start = System.nanoTime();
    Rejected r = rejected(get(url("/huge-chunked")), RejectReason.TOO_LARGE);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(r.detail()).contains("more than " + CAP + " bytes");
    assertThat(took).isLessThan(Duration.ofSeconds(5));
    // The read stopped at the cap: the server got only as far as the socket buffers let it.
    Thread.sleep(200);
    assertThat(hugeWritten.get()).isLessThan(FIFTY_MB / 4);
  }

  @Test
  void a_declared_content_length_over_the_cap_is_too_large_without_reading() throws Exception {
    long start = System.nanoTime();
    Rejected r = rejected(get(url("/huge-declared")), RejectReason.TOO_LARGE);
    assertThat(r.detail()).contains("declares " + FIFTY_MB + " bytes");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void an_endless_slow_drip_ends_as_timeout_within_the_call_timeout() throws Exception {
    Duration callTimeout = Duration.ofSeconds(2);
    FetchSettings settings =
        settings().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), callTimeout);
    try (ImageFetcher fetcher = new ImageFetcher(settings)) {
      int ended = dripsEnded.get();
      long start = System.nanoTime();
      Rejected r = rejected(get(fetcher, url("/drip")), RejectReason.TIMEOUT);
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(r.detail()).contains("call timeout of 2s");
      assertThat(took).isBetween(callTimeout.minusMillis(100), callTimeout.plusMillis(1500));
      awaitAtLeast(dripsEnded, ended + 1, Duration.ofSeconds(5)); // the connection was dropped
    }
  }

  @Test
  void silence_after_the_headers_ends_as_timeout_after_the_read_timeout() throws Exception {
    FetchSettings settings =
        settings()
            .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofSeconds(10));
    try (ImageFetcher fetcher = new ImageFetcher(settings)) {
      long start = System.nanoTime();
      Rejected r = rejected(get(fetcher, url("/stall")), RejectReason.TIMEOUT);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
      assertThat(r.detail()).contains("timed out").contains("read timeout 500ms");
    }
  }

  // ---------------------------------------------------------------- redirects and statuses

  @Test
  void a_redirect_loop_is_recognised() throws Exception {
    Rejected r = rejected(get(url("/loop-a")), RejectReason.REDIRECT_LOOP);
    assertThat(r.detail())
        .isEqualTo(
            "redirect loop: " + url("/loop-a") + " -> " + url("/loop-b") + " -> " + url("/loop-a"));
  }

  @Test
  void too_many_redirects_are_a_redirect_loop() throws Exception {
    Rejected r = rejected(get(url("/chain/0")), RejectReason.REDIRECT_LOOP);
    assertThat(r.detail()).startsWith("more than 5 redirects").endsWith(url("/chain/6"));
  }

  @Test
  void a_redirect_to_a_file_is_a_bad_url() throws Exception {
    Rejected r = rejected(get(url("/to-file")), RejectReason.BAD_URL);
    assertThat(r.detail()).contains("file:///etc/passwd");
  }

  @Test
  void not_found_is_an_http_status_with_the_code() throws Exception {
    Rejected r = rejected(get(url("/missing")), RejectReason.HTTP_STATUS);
    assertThat(r.detail()).isEqualTo("GET " + url("/missing") + " answered 404");
  }

  // ---------------------------------------------------------------- the address guard

  @Test
  void a_redirect_from_an_allowed_host_to_a_loopback_address_is_blocked() throws Exception {
    FetchSettings onlyLocalhost = settings().withAllowedPrivateHosts(Set.of("localhost"));
    try (ImageFetcher fetcher = new ImageFetcher(onlyLocalhost)) {
      // The first hop is allowed and works ...
      fetched(get(fetcher, "http://localhost:" + port + "/good.png"));
      // ... the second, to 127.0.0.1 written as an address, is not.
      Rejected r =
          rejected(
              get(fetcher, "http://localhost:" + port + "/to-ip"), RejectReason.BLOCKED_ADDRESS);
      assertThat(r.detail()).contains("127.0.0.1 is a loopback address");
    }
  }

  @Test
  void a_redirect_to_a_name_resolving_to_loopback_is_blocked() throws Exception {
    Rejected r = rejected(get(url("/to-localhost")), RejectReason.BLOCKED_ADDRESS);
    assertThat(r.detail()).contains("localhost resolves to 127.0.0.1, a loopback address");
  }

  @Test
  void a_redirect_to_the_metadata_service_is_blocked() throws Exception {
    Rejected r = rejected(get(url("/to-metadata")), RejectReason.BLOCKED_ADDRESS);
    assertThat(r.detail()).contains("169.254.169.254").contains("link-local");
  }

  @Test
  void private_addresses_are_blocked_in_every_spelling_unless_allowed() throws Exception {
    try (ImageFetcher fetcher = new ImageFetcher(settings().withAllowedPrivateHosts(Set.of()))) {
      for (String url :
          List.of(
              url("/good.png"),
              "http://localhost:" + port + "/good.png",
              "http://127.1:" + port + "/good.png",
              "http://2130706433:" + port + "/good.png",
              "http://[::1]:" + port + "/good.png",
              "http://[::ffff:127.0.0.1]:" + port + "/good.png",
              "http://10.0.0.1/x.png",
              "http://169.254.169.254/latest/meta-data/")) {
        assertThat(get(fetcher, url))
            .as(url)
            .isInstanceOfSatisfying(
                Rejected.class,
                r -> assertThat(r.reason()).as(r.detail()).isEqualTo(RejectReason.BLOCKED_ADDRESS));
      }
    }
  }

  // ---------------------------------------------------------------- bad URLs

  @Test
  void unusable_urls_are_bad_urls() throws Exception {
    try (ImageFetcher fetcher = new ImageFetcher(settings())) {
      for (String url :
          Arrays.asList(
              null,
              "",
              "not a url",
              "ftp://example.com/a.png",
              "gopher://x/",
              "javascript:alert(1)",
              "http://",
              "http://exa mple.com:99999/",
              "file:relative.png",
              "file://server/share/a.png")) {
        assertThat(get(fetcher, url))
            .as(String.valueOf(url))
            .isInstanceOfSatisfying(
                Rejected.class,
                r -> assertThat(r.reason()).as(r.detail()).isEqualTo(RejectReason.BAD_URL));
      }
    }
  }

  // ---------------------------------------------------------------- files

  @Test
  void reads_files_inside_the_root() throws Exception {
    Fetched a = fetched(get(root.resolve("a.png").toUri().toString()));
    assertThat(a.bytes()).isEqualTo(png);
    assertThat(a.format()).isEqualTo("png");
    assertThat(a.contentType()).isNull();

    Fetched b = fetched(get(root.resolve("sub/b.jpg").toUri().toString()));
    assertThat(b.format()).isEqualTo("jpeg");
  }

  @Test
  void a_link_to_a_file_inside_the_root_is_read_and_its_target_named() throws Exception {
    Fetched inner = fetched(get(root.resolve("inner.png").toUri().toString()));
    assertThat(inner.finalUrl()).isEqualTo(root.toRealPath().resolve("a.png").toUri().toString());
  }

  @Test
  void files_outside_the_root_are_not_allowed() throws Exception {
    rejected(get(outside.resolve("secret.png").toUri().toString()), RejectReason.FILE_NOT_ALLOWED);
    rejected(get("file:///etc/passwd"), RejectReason.FILE_NOT_ALLOWED);
  }

  @Test
  void dot_dot_cannot_climb_out_of_the_root() throws Exception {
    String root = this.root.toUri().toString(); // ends with a slash
    for (String url :
        List.of(
            root + "../outside/secret.png",
            root + "sub/../../outside/secret.png",
            root + "%2e%2e/outside/secret.png",
            root + "../../../../../../etc/passwd")) {
      Rejected r = rejected(get(url), RejectReason.FILE_NOT_ALLOWED);
      assertThat(r.detail()).as(url).contains("outside the allowed roots");
    }
  }

  @Test
  void links_leading_out_of_the_root_are_not_allowed() throws Exception {
    Rejected file =
        rejected(get(root.resolve("escape.png").toUri().toString()), RejectReason.FILE_NOT_ALLOWED);
    assertThat(file.detail()).contains("resolves to " + outside.toRealPath().resolve("secret.png"));
    rejected(
        get(root.resolve("escape-dir/secret.png").toUri().toString()),
        RejectReason.FILE_NOT_ALLOWED);
  }

  @Test
  void odd_files_get_clear_reasons() throws Exception {
    rejected(get(root.resolve("empty.png").toUri().toString()), RejectReason.EMPTY);
    rejected(get(root.resolve("sub").toUri().toString()), RejectReason.FILE_NOT_ALLOWED);
    Rejected missing =
        rejected(get(root.resolve("gone.png").toUri().toString()), RejectReason.NETWORK);
    assertThat(missing.detail()).startsWith("no such file");
    Files.write(root.resolve("big.png"), new byte[(int) CAP + 1]);
    rejected(get(root.resolve("big.png").toUri().toString()), RejectReason.TOO_LARGE);
    Files.writeString(root.resolve("page.jpg"), "<html><body>hi</body></html>");
    rejected(get(root.resolve("page.jpg").toUri().toString()), RejectReason.NOT_AN_IMAGE);
  }

  @Test
  void devices_are_not_regular_files() throws Exception {
    Path dev = Path.of("/dev");
    if (!Files.exists(dev.resolve("zero"))) {
      return;
    }
    try (ImageFetcher fetcher = new ImageFetcher(settings().withAllowedFileRoots(List.of(dev)))) {
      rejected(get(fetcher, "file:///dev/zero"), RejectReason.FILE_NOT_ALLOWED);
    }
  }

  @Test
  void without_roots_no_file_is_allowed() throws Exception {
    try (ImageFetcher fetcher = new ImageFetcher(settings().withAllowedFileRoots(List.of()))) {
      rejected(
          get(fetcher, root.resolve("a.png").toUri().toString()), RejectReason.FILE_NOT_ALLOWED);
    }
  }

  // ---------------------------------------------------------------- concurrency and lifecycle

  @Test
  void two_hundred_concurrent_fetches_all_complete() throws Exception {
    try (ImageFetcher fetcher = new ImageFetcher(settings())) {
      List<CompletableFuture<FetchOutcome>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < 200; i++) {
        String url =
            switch (i % 10) {
              case 0 -> url("/missing?i=" + i);
              case 1 -> url("/html-as-jpeg?i=" + i);
              case 2 -> root.resolve("a.png").toUri().toString();
              case 3 -> url("/good.png?i=" + i);
              default -> url("/good.jpg?i=" + i);
            };
        futures.add(fetcher.fetch(url));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      Map<String, Long> counts =
          futures.stream()
              .map(CompletableFuture::join)
              .collect(
                  Collectors.groupingBy(
                      o -> o instanceof Rejected r ? r.reason().code() : "fetched",
                      Collectors.counting()));
      assertThat(counts)
          .containsExactlyInAnyOrderEntriesOf(
              Map.of("fetched", 160L, "http_status", 20L, "not_an_image", 20L));
      System.out.println("200 concurrent fetches took " + took.toMillis() + " ms");
    }
  }

  @Test
  void closing_cancels_what_is_in_flight_and_refuses_what_comes_after() throws Exception {
    ImageFetcher fetcher = new ImageFetcher(settings());
    int started = dripsStarted.get();
    CompletableFuture<FetchOutcome> inFlight = fetcher.fetch(url("/drip"));
    awaitAtLeast(dripsStarted, started + 1, Duration.ofSeconds(5));

    fetcher.close();

    Rejected r = rejected(inFlight.get(5, TimeUnit.SECONDS), RejectReason.NETWORK);
    assertThat(r.detail()).contains("closed");
    assertThat(fetcher.dispatcherExecutor().isShutdown()).isTrue();
    Rejected after = rejected(get(fetcher, url("/good.png")), RejectReason.NETWORK);
    assertThat(after.detail()).isEqualTo("the fetcher is closed");
    rejected(get(fetcher, root.resolve("a.png").toUri().toString()), RejectReason.NETWORK);
    assertThat(fetcher.dispatcherExecutor().awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void cancelling_the_future_hangs_up() throws Exception {
    try (ImageFetcher fetcher = new ImageFetcher(settings())) {
      int started = dripsStarted.get();
      int ended = dripsEnded.get();
      CompletableFuture<FetchOutcome> future = fetcher.fetch(url("/drip"));
      awaitAtLeast(dripsStarted, started + 1, Duration.ofSeconds(5));

      future.cancel(true);

      awaitAtLeast(dripsEnded, ended + 1, Duration.ofSeconds(5));
    }
  }

  private static void awaitAtLeast(AtomicInteger counter, int value, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (counter.get() < value) {
      assertThat(System.nanoTime()).as("waited " + within + " for " + value).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
