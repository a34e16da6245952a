package io.memescope.crawler.http;

import io.memescope.core.net.AddressGuard;
import io.memescope.core.net.BlockedAddressException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Set;
import java.util.function.LongConsumer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * HTTP GET as a well-behaved crawler does it: a User-Agent that names the project, connect and read
 * timeouts, a cap on the response size, the {@link AddressGuard} on every connection (redirects
 * included), and retries with exponential backoff on 429 and 5xx that honour {@code Retry-After}.
 */
public final class PoliteClient {
  public static final String USER_AGENT = "Memescope/0.1 (+https://github.com/memescope)";

  private final OkHttpClient http;
  private final long maxBytes;
  private final int maxAttempts;
  private final Duration firstBackoff;
  private final LongConsumer sleeper;

  public PoliteClient(
      Set<String> allowedPrivateHosts, long maxBytes, int maxAttempts, Duration firstBackoff) {
    this(allowedPrivateHosts, maxBytes, maxAttempts, firstBackoff, PoliteClient::sleep);
  }

  PoliteClient(
      Set<String> allowedPrivateHosts,
      long maxBytes,
      int maxAttempts,
      Duration firstBackoff,
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
    this.sleeper = sleeper;
  }

  /** The body of a 2xx answer to GET {@code url}. */
  public byte[] get(String url) throws FetchException {
    Duration backoff = firstBackoff;
    for (int attempt = 1; ; attempt++) {
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
        Duration wait = retryAfter(response).orElse(backoff);
        sleeper.accept(wait.toMillis());
        backoff = backoff.multipliedBy(2);
      } catch (BlockedAddressException e) {
        throw new FetchException(
            FetchException.Reason.BLOCKED_ADDRESS, "GET " + url + ": " + e.getMessage(), e);
      } catch (InterruptedIOException e) {
        throw new FetchException(FetchException.Reason.TIMEOUT, "GET " + url + " timed out", e);
      } catch (IOException e) {
        if (e.getCause() instanceof BlockedAddressException blocked) {
          throw new FetchException(
              FetchException.Reason.BLOCKED_ADDRESS, "GET " + url + ": " + blocked.getMessage(), e);
        }
        throw new FetchException(
            FetchException.Reason.NETWORK, "GET " + url + ": " + e.getMessage(), e);
      }
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

  private static java.util.Optional<Duration> retryAfter(Response response) {
    String value = response.header("Retry-After");
    if (value == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(
          Duration.ofSeconds(Math.min(Long.parseLong(value.strip()), 3600)));
    } catch (NumberFormatException e) {
      return java.util.Optional.empty(); // an HTTP date: fall back to our own backoff
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
