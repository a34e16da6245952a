package io.memescope.crawler.http;

import crawlercommons.robots.BaseRobotRules;
import io.memescope.core.net.AddressGuard;
import io.memescope.core.net.BlockedAddressException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * HTTP GET as a well-behaved crawler does it: a User-Agent that names the project, robots.txt
 * obeyed (its Crawl-delay too), at most one request per {@code minInterval} to each host and at
 * most the {@link HostGate}'s number in flight, connect and read timeouts, a cap on the response
 * size, the {@link AddressGuard} on every connection (redirects included), retries with exponential
 * backoff on 429 and 5xx that honour {@code Retry-After}, and a pause when a host says its rate
 * limit is used up ({@code x-ratelimit-remaining} below 1, as Reddit sends it) until {@code
 * x-ratelimit-reset} seconds have passed. Every failed request is reported to the {@link Listener}
 * by host. Thread-safe.
 */
public final class PoliteClient {
  public static final String USER_AGENT = "Memescope/0.1 (+https://github.com/memescope)";

  private final OkHttpClient http;
  private final OkHttpClient robotsHttp;

  /** The longest a robots.txt request may take, redirects and all. */
  static final Duration ROBOTS_CALL_TIMEOUT = Duration.ofSeconds(10);

  private final long maxBytes;
  private final int maxAttempts;
  private final Duration firstBackoff;
  private final Duration minInterval;
  private final LongConsumer sleeper;
  private final RobotsRules robots;
  private final HostGate gate;
  private final Listener listener;

  /**
   * Told of every request its host failed: the host and a reason such as {@code http_429} or
   * timeout. An answer of a type the caller does not want is no failure of the host, and not told.
   */
  public interface Listener {
    Listener NONE = (host, reason) -> {};

    void failed(String host, String reason);
  }

  /** A client without a per-host interval (local sources, tests); robots.txt is still obeyed. */
  public PoliteClient(
      Set<String> allowedPrivateHosts, long maxBytes, int maxAttempts, Duration firstBackoff) {
    this(
        allowedPrivateHosts,
        maxBytes,
        maxAttempts,
        firstBackoff,
        Duration.ZERO,
        new HostGate(2),
        Listener.NONE,
        PoliteClient::sleep);
  }

  /**
   * @param gate per-host limits, shared by the clients of one process
   * @param sleeper waits the given milliseconds (tests record instead)
   */
  public PoliteClient(
      Set<String> allowedPrivateHosts,
      long maxBytes,
      int maxAttempts,
      Duration firstBackoff,
      Duration minInterval,
      HostGate gate,
      Listener listener,
      LongConsumer sleeper) {
    this(
        allowedPrivateHosts,
        maxBytes,
        maxAttempts,
        firstBackoff,
        minInterval,
        gate,
        listener,
        sleeper,
        Clock.systemUTC());
  }

  /** As above, with the clock robots.txt rules expire by (a test moves it on). */
  PoliteClient(
      Set<String> allowedPrivateHosts,
      long maxBytes,
      int maxAttempts,
      Duration firstBackoff,
      Duration minInterval,
      HostGate gate,
      Listener listener,
      LongConsumer sleeper,
      Clock robotsClock) {
    this.robots = new RobotsRules(robotsClock);
    this.http =
        new OkHttpClient.Builder()
            .dns(new AddressGuard(allowedPrivateHosts))
            .proxy(java.net.Proxy.NO_PROXY) // through a proxy the guard would see only the proxy
            .connectTimeout(Duration.ofSeconds(10))
            .readTimeout(Duration.ofSeconds(30))
            .callTimeout(Duration.ofSeconds(60))
            // Redirects are followed here, one request each, so that every hop passes the
            // checks: OkHttp connects to a host written as an IP address without asking the Dns.
            .followRedirects(false)
            .followSslRedirects(false)
            .addInterceptor(
                chain -> {
                  AddressGuard.checkLiteral(chain.request().url().host(), allowedPrivateHosts);
                  return chain.proceed(chain.request());
                })
            .build();
    // robots.txt is small and asked before anything else of its host: a host that trickles it
    // holds the page that found its images no longer than this (60 s a hop before 2026-12-06).
    this.robotsHttp = http.newBuilder().callTimeout(ROBOTS_CALL_TIMEOUT).build();
    this.maxBytes = maxBytes;
    this.maxAttempts = maxAttempts;
    this.firstBackoff = firstBackoff;
    this.minInterval = minInterval;
    this.sleeper = sleeper;
    this.gate = gate;
    this.listener = listener;
  }

  /** The default way to wait. */
  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The body of a 2xx answer to GET {@code url}. */
  public byte[] get(String url) throws FetchException {
    return page(url).body();
  }

  /**
   * A 2xx answer: its body, the URL that gave it after redirects (what relative links in it are
   * relative to), its {@code Content-Type} header (null when absent), whose charset says how an
   * HTML body is encoded, and whether the body was cut (see {@link #page(String, long)}).
   */
  public record Page(byte[] body, String url, String contentType, boolean cut) {}

  /**
   * The 2xx answer to GET {@code url}, after any redirects; a body over the client's largest
   * response is refused ({@link FetchException.Reason#TOO_LARGE}).
   */
  public Page page(String url) throws FetchException {
    return page(url, -1);
  }

  /**
   * The 2xx answer to GET {@code url}, after any redirects, with at most its first {@code atMost}
   * bytes (and never more than the client's largest response): a longer body is cut there, and the
   * call cancelled rather than the rest read, rather than refused. For what is read only in part
   * anyway (an HTML page's start); until 2026-12-07 a page was downloaded whole, up to 16 MiB, and
   * one over that refused, to parse its first 2 MiB.
   *
   * @param atMost the most bytes kept; negative: the whole body, refused when over the limit
   */
  public Page page(String url, long atMost) throws FetchException {
    return page(url, atMost, type -> true);
  }

  /**
   * As {@link #page(String, long)}, for an answer whose {@code Content-Type} (null when absent)
   * {@code wanted} accepts: another is refused ({@link FetchException.Reason#UNWANTED_TYPE}) before
   * its body is read, and its connection dropped.
   */
  public Page page(String url, long atMost, java.util.function.Predicate<String> wanted)
      throws FetchException {
    try {
      return fetch(url, atMost, wanted);
    } catch (FetchException e) {
      HttpUrl parsed = HttpUrl.parse(url);
      // Statuses are counted as they come; a paused host was not asked at all; an answer of
      // another type is the link's, not the host's, failure.
      if (e.reason() != FetchException.Reason.HTTP_STATUS
          && e.reason() != FetchException.Reason.HOST_PAUSED
          && e.reason() != FetchException.Reason.UNWANTED_TYPE) {
        listener.failed(
            parsed == null ? "invalid" : parsed.host(), e.reason().name().toLowerCase());
      }
      throw e;
    }
  }

  private static final int MAX_REDIRECTS = 5;

  /** Follows up to {@link #MAX_REDIRECTS} redirects; each hop is a request of its own. */
  private Page fetch(String url, long atMost, java.util.function.Predicate<String> wanted)
      throws FetchException {
    java.util.Set<String> visited = new java.util.HashSet<>();
    String current = url;
    for (int hop = 0; ; hop++) {
      if (!visited.add(current) || hop > MAX_REDIRECTS) {
        throw new FetchException(
            FetchException.Reason.HTTP_STATUS,
            "GET " + url + ": redirect loop or more than " + MAX_REDIRECTS + " redirects",
            null);
      }
      Hop answer = fetchHop(current, atMost, wanted);
      if (answer.body() != null) {
        return new Page(answer.body(), current, answer.contentType(), answer.cut());
      }
      current = answer.location();
    }
  }

  /**
   * Whether the robots.txt of the URL's origin lets this crawler fetch it (loaded once per origin
   * and cached, as for pages): for image URLs found on pages, which the ingest job fetches.
   */
  public boolean allowedByRobots(String url) {
    return allowedByRobots(url, true)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the robots.txt for " + url + " cannot be asked now: its host is paused"));
  }

  /**
   * What {@link #allowedByRobots(String)} says when the origin's robots.txt is cached; empty when
   * it would have to be fetched and {@code fetch} is false, or cannot be fetched now (the host is
   * paused for longer than the crawler sleeps through).
   */
  public Optional<Boolean> allowedByRobots(String url, boolean fetch) {
    HttpUrl parsed = HttpUrl.parse(url);
    if (parsed == null) {
      return Optional.of(true); // not http(s): the URL checks refuse it, not robots.txt
    }
    String origin = origin(parsed);
    Optional<BaseRobotRules> known = robots.cached(origin);
    if (known.isEmpty() && !fetch) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          known.orElseGet(() -> robots.rules(origin, this::fetchRobots)).isAllowed(url));
    } catch (RobotsRules.NotAsked e) {
      return Optional.empty();
    }
  }

  /** "scheme://host:port", an IPv6 host in brackets (so that "/robots.txt" after it parses). */
  static String origin(HttpUrl url) {
    String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
    return url.scheme() + "://" + host + ":" + url.port();
  }

  /** A hop's answer: the body, or where it redirects to. */
  private record Hop(byte[] body, String location, String contentType, boolean cut) {}

  private Hop fetchHop(String url, long atMost, java.util.function.Predicate<String> wanted)
      throws FetchException {
    HttpUrl parsed = HttpUrl.parse(url);
    if (parsed == null) {
      throw new FetchException(FetchException.Reason.NETWORK, "not an http(s) URL: " + url, null);
    }
    String origin = origin(parsed);
    BaseRobotRules rules;
    try {
      rules = robots.rules(origin, this::fetchRobots);
    } catch (RobotsRules.NotAsked e) {
      throw e.refusal();
    }
    if (!rules.isAllowed(url)) {
      throw new FetchException(
          FetchException.Reason.ROBOTS_DISALLOWED,
          url + " is disallowed by " + origin + "/robots.txt",
          null);
    }
    long interval = Math.max(minInterval.toMillis(), Math.max(rules.getCrawlDelay(), 0));
    Duration backoff = firstBackoff;
    for (int attempt = 1; ; attempt++) {
      Request request = new Request.Builder().url(url).header("User-Agent", USER_AGENT).build();
      okhttp3.Call call = http.newCall(request);
      Duration wait;
      try (HostGate.Permit permit = gate.enter(origin, interval, sleeper);
          Response response = call.execute()) {
        rateLimitPause(response).ifPresent(pause -> gate.pause(origin, pause));
        int code = response.code();
        if (response.isSuccessful()) {
          String contentType = response.header("Content-Type");
          if (!wanted.test(contentType)) {
            call.cancel(); // before the response is closed: its body is not read (see below)
            throw new FetchException(
                FetchException.Reason.UNWANTED_TYPE,
                "GET " + url + " answered " + contentType + ", not what was asked for",
                null);
          }
          if (atMost >= 0) {
            int keep = (int) Math.min(Math.min(atMost, maxBytes), MAX_KEPT);
            byte[] body = readAtMost(response, keep);
            if (body.length <= keep) {
              return new Hop(body, null, contentType, false);
            }
            // Cancelled before the response is closed (by the try above), the HTTP/1.1 connection
            // is dropped, the rest of the body unread: closing the response alone would first read
            // on and discard it, for up to 100 ms, to reuse the connection. (Over HTTP/2 only the
            // stream is reset, as closing does.)
            call.cancel();
            return new Hop(java.util.Arrays.copyOf(body, keep), null, contentType, true);
          }
          return new Hop(read(response, url), null, contentType, false);
        }
        if (response.isRedirect()) {
          String location = response.header("Location");
          HttpUrl next = location == null ? null : parsed.resolve(location);
          if (next == null) {
            throw new FetchException(
                FetchException.Reason.HTTP_STATUS,
                "GET " + url + " redirects (" + code + ") to no http(s) URL: " + location,
                null);
          }
          return new Hop(null, next.toString(), null, false);
        }
        listener.failed(parsed.host(), "http_" + code);
        boolean retryable = code == 429 || code >= 500;
        if (!retryable || attempt >= maxAttempts) {
          throw new FetchException(
              FetchException.Reason.HTTP_STATUS, "GET " + url + " answered " + code, null);
        }
        Optional<Duration> asked = retryAfter(response);
        // The host asked everyone to wait: other sources on it (sharing the gate) wait too, not
        // only this request.
        asked.ifPresent(d -> gate.pause(origin, d));
        if (asked.isPresent() && gate.tooLong(asked.get())) {
          // Longer than a crawler thread should sleep: the caller comes back when it is over.
          throw FetchException.hostPaused(origin, asked.get());
        }
        wait = asked.orElse(backoff);
        backoff = backoff.multipliedBy(2);
        if (asked.isEmpty()) {
          // Our own backoff for a failing or overloaded host: every source on it backs off too,
          // and a wait longer than a crawler thread sleeps is not slept through (until
          // 2026-12-06 it was: 2 + 4 + 8 + 16 s per URL on one of the service's 4 threads). The
          // request then fails as the last try would have: the source comes back at its usual
          // interval, an HTML walk skips the page, and it counts as an error, not as a pause
          // that would bring the source back within seconds, for ever, to a host that is down.
          gate.pause(origin, wait);
          if (gate.tooLong(wait)) {
            throw new FetchException(
                FetchException.Reason.HTTP_STATUS,
                "GET "
                    + url
                    + " answered "
                    + code
                    + " "
                    + attempt
                    + " times; its host is paused for "
                    + wait.toSeconds()
                    + " s",
                null);
          }
        }
      } catch (BlockedAddressException e) {
        throw blocked(url, e);
      } catch (InterruptedIOException e) {
        throw new FetchException(FetchException.Reason.TIMEOUT, "GET " + url + " timed out", e);
      } catch (IOException e) {
        if (e.getCause() instanceof BlockedAddressException b) {
          throw blocked(url, b);
        }
        throw new FetchException(
            FetchException.Reason.NETWORK, "GET " + url + ": " + e.getMessage(), e);
      }
      sleeper.accept(wait.toMillis()); // outside the permit: a waiting retry holds no slot
    }
  }

  /**
   * The pause a host asks for when its rate-limit budget is used up: {@code x-ratelimit-reset}
   * seconds when {@code x-ratelimit-remaining} is below 1.
   */
  static Optional<Duration> rateLimitPause(Response response) {
    String remaining = response.header("x-ratelimit-remaining");
    String reset = response.header("x-ratelimit-reset");
    if (remaining == null || reset == null) {
      return Optional.empty();
    }
    try {
      if (Double.parseDouble(remaining.strip()) >= 1) {
        return Optional.empty();
      }
      double seconds = Math.min(Math.max(Double.parseDouble(reset.strip()), 0), 3600);
      return Optional.of(Duration.ofMillis((long) (seconds * 1000)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static FetchException blocked(String url, BlockedAddressException e) {
    return new FetchException(
        FetchException.Reason.BLOCKED_ADDRESS, "GET " + url + ": " + e.getMessage(), e);
  }

  /**
   * GET of a robots.txt, following up to {@link #MAX_REDIRECTS} redirects (RFC 9309; each hop
   * through the same address checks). A redirect beyond that is returned as it is, which {@link
   * RobotsRules} reads as "cannot be had".
   */
  private RobotsRules.Loader.Answer fetchRobots(String url) throws IOException {
    String current = url;
    for (int hop = 0; ; hop++) {
      HttpUrl parsed = HttpUrl.parse(current);
      if (parsed == null) {
        throw new IOException("robots.txt redirects to no http(s) URL: " + current);
      }
      Request request = new Request.Builder().url(parsed).header("User-Agent", USER_AGENT).build();
      // Through the host's gate, as every other request to it: spaced by the interval, and not
      // sent while the host asked for a pause (until 2026-12-06 robots.txt went past the gate).
      // A refresh spaces the next request by the Crawl-delay the host gave last time (until
      // 2026-12-06 by the crawler's own interval, which came sooner); a first one by the
      // crawler's interval.
      long interval = Math.max(minInterval.toMillis(), robots.lastCrawlDelay(origin(parsed)));
      HostGate.Permit permit;
      try {
        permit = gate.enter(origin(parsed), interval, sleeper);
      } catch (FetchException e) {
        throw new RobotsRules.NotAsked(e);
      } catch (InterruptedIOException e) {
        throw interrupted(parsed, e);
      }
      try (permit;
          Response response = robotsHttp.newCall(request).execute()) {
        if (response.isRedirect() && hop < MAX_REDIRECTS) {
          String location = response.header("Location");
          HttpUrl next = location == null ? null : parsed.resolve(location);
          if (next == null) {
            throw new IOException("robots.txt redirects to no http(s) URL: " + location);
          }
          current = next.toString();
          continue;
        }
        byte[] body =
            response.body() == null
                ? new byte[0]
                : response.body().byteStream().readNBytes(512 * 1024);
        return new RobotsRules.Loader.Answer(response.code(), body);
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          // Interrupted during the wait for its turn (the sleeper keeps the flag) or the call.
          throw interrupted(parsed, e);
        }
        throw e; // the call's own timeout, or no connection: the host did not answer
      }
    }
  }

  /**
   * A robots.txt request interrupted (a source cancelled, the crawler stopping): nothing learnt
   * about the host, so nothing is cached; a timeout of the request itself is another matter.
   */
  private static RobotsRules.NotAsked interrupted(HttpUrl url, IOException e) {
    return new RobotsRules.NotAsked(
        new FetchException(
            FetchException.Reason.TIMEOUT,
            "interrupted while asking " + origin(url) + "/robots.txt",
            e));
  }

  /** The most bytes one body may be kept with: the largest Java array, less one to know of more. */
  private static final int MAX_KEPT = Integer.MAX_VALUE - 9;

  /**
   * Up to {@code limit} + 1 bytes of the body ({@code limit} at most {@link #MAX_KEPT}), whatever
   * length it declares: one more than the limit says that there was more. The body is left open:
   * the caller cancels the call before the response is closed, for closing it first would read on
   * to reuse the connection.
   */
  private static byte[] readAtMost(Response response, int limit) throws IOException {
    return response.body().byteStream().readNBytes(limit + 1);
  }

  private byte[] read(Response response, String url) throws IOException, FetchException {
    long declared = response.body().contentLength();
    if (declared > maxBytes) {
      throw new FetchException(
          FetchException.Reason.TOO_LARGE,
          url + " declares " + declared + " bytes, over " + maxBytes,
          null);
    }
    try (InputStream in = response.body().byteStream()) {
      byte[] body = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
      if (body.length > maxBytes) {
        throw new FetchException(
            FetchException.Reason.TOO_LARGE, url + " sent more than " + maxBytes + " bytes", null);
      }
      return body;
    }
  }

  static Optional<Duration> retryAfter(Response response) {
    String value = response.header("Retry-After");
    if (value == null) {
      return Optional.empty();
    }
    long seconds;
    try {
      seconds = Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      // The other form RFC 9110 allows: an HTTP date (ignored, and our own backoff used, until
      // 2026-12-06).
      try {
        Instant until =
            java.time.ZonedDateTime.parse(
                    value.strip(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                .toInstant();
        seconds = Math.max(0, Duration.between(Instant.now(), until).toSeconds());
      } catch (java.time.format.DateTimeParseException unreadable) {
        return Optional.empty(); // neither: our own backoff
      }
    }
    // A negative one (a broken server) would make a negative sleep, which throws.
    return seconds < 0
        ? Optional.empty()
        : Optional.of(Duration.ofSeconds(Math.min(seconds, 3600)));
  }
}
