package io.memescope.crawler.http;

import crawlercommons.robots.BaseRobotRules;
import io.memescope.core.net.AddressGuard;
import io.memescope.core.net.BlockedAddressException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * HTTP GET as a well-behaved crawler does it: a User-Agent that names the project, robots.txt
 * obeyed (its Crawl-delay too), at most one request per {@code minInterval} to each host, connect
 * and read timeouts, a cap on the response size, the {@link AddressGuard} on every connection
 * (redirects included), and retries with exponential backoff on 429 and 5xx that honour {@code
 * Retry-After}. Thread-safe.
 */
public final class PoliteClient {
  public static final String USER_AGENT = "Memescope/0.1 (+https://github.com/memescope)";

  private final OkHttpClient http;
  private final long maxBytes;
  private final int maxAttempts;
  private final Duration firstBackoff;
  private final Duration minInterval;
  private final LongConsumer sleeper;
  private final RobotsRules robots = new RobotsRules(Clock.systemUTC());
  private final Map<String, Long> nextSlotNanos = new ConcurrentHashMap<>();

  /** A client without a per-host interval (local sources, tests); robots.txt is still obeyed. */
  public PoliteClient(
      Set<String> allowedPrivateHosts, long maxBytes, int maxAttempts, Duration firstBackoff) {
    this(allowedPrivateHosts, maxBytes, maxAttempts, firstBackoff, Duration.ZERO);
  }

  public PoliteClient(
      Set<String> allowedPrivateHosts,
      long maxBytes,
      int maxAttempts,
      Duration firstBackoff,
      Duration minInterval) {
    this(
        allowedPrivateHosts, maxBytes, maxAttempts, firstBackoff, minInterval, PoliteClient::sleep);
  }

  PoliteClient(
      Set<String> allowedPrivateHosts,
      long maxBytes,
      int maxAttempts,
      Duration firstBackoff,
      Duration minInterval,
      LongConsumer sleeper) {
    this.http =
        new OkHttpClient.Builder()
            .dns(new AddressGuard(allowedPrivateHosts))
            .connectTimeout(Duration.ofSeconds(10))
            .readTimeout(Duration.ofSeconds(30))
            .callTimeout(Duration.ofSeconds(60))
            .followRedirects(true)
            .followSslRedirects(true)
            .build();
    this.maxBytes = maxBytes;
    this.maxAttempts = maxAttempts;
    this.firstBackoff = firstBackoff;
    this.minInterval = minInterval;
    this.sleeper = sleeper;
  }

  /** The body of a 2xx answer to GET {@code url}. */
  public byte[] get(String url) throws FetchException {
    HttpUrl parsed = HttpUrl.parse(url);
    if (parsed == null) {
      throw new FetchException(FetchException.Reason.NETWORK, "not an http(s) URL: " + url, null);
    }
    String origin = parsed.scheme() + "://" + parsed.host() + ":" + parsed.port();
    BaseRobotRules rules = robots.rules(origin, this::fetchRobots);
    if (!rules.isAllowed(url)) {
      throw new FetchException(
          FetchException.Reason.ROBOTS_DISALLOWED,
          url + " is disallowed by " + origin + "/robots.txt",
          null);
    }
    long interval = Math.max(minInterval.toMillis(), Math.max(rules.getCrawlDelay(), 0));
    Duration backoff = firstBackoff;
    for (int attempt = 1; ; attempt++) {
      throttle(origin, interval);
      Request request = new Request.Builder().url(url).header("User-Agent", USER_AGENT).build();
      try (Response response = http.newCall(request).execute()) {
        int code = response.code();
        if (response.isSuccessful()) {
          return read(response, url);
        }
        boolean retryable = code == 429 || code >= 500;
        if (!retryable || attempt >= maxAttempts) {
          throw new FetchException(
              FetchException.Reason.HTTP_STATUS, "GET " + url + " answered " + code, null);
        }
        sleeper.accept(retryAfter(response).orElse(backoff).toMillis());
        backoff = backoff.multipliedBy(2);
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
    }
  }

  private static FetchException blocked(String url, BlockedAddressException e) {
    return new FetchException(
        FetchException.Reason.BLOCKED_ADDRESS, "GET " + url + ": " + e.getMessage(), e);
  }

  /** Waits until {@code origin} may be asked again, and books the slot after that. */
  private void throttle(String origin, long intervalMillis) {
    if (intervalMillis <= 0) {
      return;
    }
    long step = intervalMillis * 1_000_000;
    long now = System.nanoTime();
    long mine = nextSlotNanos.merge(origin, now, (next, ignored) -> Math.max(next + step, now));
    if (mine > now) {
      sleeper.accept((mine - now) / 1_000_000);
    }
  }

  private RobotsRules.Loader.Answer fetchRobots(String url) throws IOException {
    Request request = new Request.Builder().url(url).header("User-Agent", USER_AGENT).build();
    try (Response response = http.newCall(request).execute()) {
      byte[] body =
          response.body() == null
              ? new byte[0]
              : response.body().byteStream().readNBytes(512 * 1024);
      return new RobotsRules.Loader.Answer(response.code(), body);
    }
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

  private static Optional<Duration> retryAfter(Response response) {
    String value = response.header("Retry-After");
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Duration.ofSeconds(Math.min(Long.parseLong(value.strip()), 3600)));
    } catch (NumberFormatException e) {
      return Optional.empty(); // an HTTP date: fall back to our own backoff
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
