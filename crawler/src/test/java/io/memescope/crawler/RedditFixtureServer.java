package io.memescope.crawler;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Reddit-shaped listing on loopback: {@code posts} posts, newest first, paged by {@code limit}
 * and {@code after}. Post i links image {@code http://images.example/<run>/i/<i>.jpg}; every 10th
 * is a two-image gallery, every 7th is NSFW, every 13th a video, every 17th repeats the previous
 * post's image. Faults can be injected per page (1-based): a 429 once, malformed JSON, a redirect.
 */
final class RedditFixtureServer implements AutoCloseable {
  final int posts;
  final boolean variety;
  final HttpServer server;
  final Set<Integer> tooManyRequestsOnce = ConcurrentHashMap.newKeySet();
  final Set<Integer> malformed = ConcurrentHashMap.newKeySet();
  volatile String redirectTo;
  final AtomicInteger requests = new AtomicInteger();
  // Image URLs are unique per fixture: URL de-duplication is global, across sources and tests.
  final String run = java.util.UUID.randomUUID().toString().substring(0, 8);

  RedditFixtureServer(int posts, boolean variety) throws IOException {
    this.posts = posts;
    this.variety = variety;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/r/memes/new.json", this::listing);
    server.start();
  }

  String listingUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/r/memes/new.json";
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Distinct image URLs a correct crawler publishes (NSFW and videos skipped). */
  List<String> expectedImages() {
    List<String> urls = new ArrayList<>();
    for (int i = posts - 1; i >= 0; i--) {
      if (nsfw(i) || video(i)) {
        continue;
      }
      List<String> imgs = images(i);
      for (String u : imgs) {
        String published = imgs.size() > 1 ? u + "?x=1&y=2" : u;
        if (!urls.contains(published)) {
          urls.add(published);
        }
      }
    }
    return urls;
  }

  private boolean nsfw(int i) {
    return variety && i % 7 == 3;
  }

  private boolean video(int i) {
    return variety && i % 13 == 5;
  }

  private List<String> images(int i) {
    int image = variety && i % 17 == 16 ? i - 1 : i;
    if (variety && i % 10 == 0) {
      return List.of(
          "http://images.example/" + run + "/i/" + image + "-a.png",
          "http://images.example/" + run + "/i/" + image + "-b.png");
    }
    return List.of("http://images.example/" + run + "/i/" + image + ".jpg");
  }

  private void listing(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    String query = exchange.getRequestURI().getRawQuery();
    int limit = Integer.parseInt(param(query, "limit", "25"));
    String after = param(query, "after", null);
    int start = after == null ? posts - 1 : Integer.parseInt(after.substring(3)) - 1;
    int pageNo = (posts - 1 - start) / limit + 1;
    if (redirectTo != null) {
      exchange.getResponseHeaders().add("Location", redirectTo);
      send(exchange, 302, "");
      return;
    }
    if (tooManyRequestsOnce.remove(pageNo)) {
      exchange.getResponseHeaders().add("Retry-After", "1");
      send(exchange, 429, "{\"message\":\"Too Many Requests\"}");
      return;
    }
    if (malformed.contains(pageNo)) {
      send(exchange, 200, "{\"kind\":\"Listing\",\"data\":{\"children\":[{\"kind\":\"t3\",");
      return;
    }
    StringBuilder children = new StringBuilder();
    int end = Math.max(start - limit + 1, 0);
    for (int i = start; i >= end; i--) {
      if (children.length() > 0) {
        children.append(',');
      }
      children.append(post(i));
    }
    String next = end > 0 ? "\"t3_" + end + "\"" : "null";
    send(
        exchange,
        200,
        "{\"kind\":\"Listing\",\"data\":{\"after\":" + next + ",\"children\":[" + children + "]}}");
  }

  private String post(int i) {
    List<String> imgs = images(i);
    String media =
        imgs.size() > 1
            ? ",\"is_gallery\":true,\"gallery_data\":{\"items\":[{\"media_id\":\"a\"},{\"media_id\":\"b\"}]},"
                + "\"media_metadata\":{\"a\":{\"e\":\"Image\",\"s\":{\"u\":\""
                + imgs.get(0)
                + "?x=1&amp;y=2\"}},\"b\":{\"e\":\"Image\",\"s\":{\"u\":\""
                + imgs.get(1)
                + "?x=1&amp;y=2\"}}}"
            : ",\"url\":\"" + imgs.get(0) + "\",\"post_hint\":\"image\"";
    return "{\"kind\":\"t3\",\"data\":{\"name\":\"t3_"
        + i
        + "\",\"title\":\"meme number "
        + i
        + "\",\"author\":\"user"
        + (i % 50)
        + "\",\"subreddit\":\"memes\",\"permalink\":\"/r/memes/comments/"
        + i
        + "/\",\"created_utc\":"
        + (1_700_000_000L + i)
        + ".0,\"score\":"
        + i
        + ",\"over_18\":"
        + nsfw(i)
        + ",\"is_video\":"
        + video(i)
        + media
        + "}}";
  }

  private static String param(String query, String name, String fallback) {
    if (query != null) {
      for (String part : query.split("&")) {
        String[] kv = part.split("=", 2);
        if (kv[0].equals(name) && kv.length == 2) {
          return kv[1];
        }
      }
    }
    return fallback;
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
