package io.memescope.core.fetch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How {@link ImageFetcher} fetches: timeouts, the size cap, redirects, which private hosts and
 * local directories a source may reach, and how many requests run at once. Each URL comes from the
 * internet, so every limit is finite: a fetch always ends within {@link #callTimeout()}.
 *
 * @param connectTimeout to open a TCP (and TLS) connection
 * @param readTimeout longest silence while reading the answer
 * @param callTimeout the whole fetch, redirects and body included; also bounds {@code file:} reads
 * @param maxBytes the largest body accepted; a larger one is {@link RejectReason#TOO_LARGE}
 * @param maxRedirects redirects followed before giving up with {@link RejectReason#REDIRECT_LOOP}
 * @param allowedPrivateHosts host names (lower-cased here) exempt from the {@link
 *     io.memescope.core.net.AddressGuard}, such as a NAS on the LAN a source names explicitly
 * @param allowedFileRoots directories whose files {@code file:} URLs may read; empty: none
 * @param userAgent sent with every request
 * @param maxRequests HTTP requests in flight at once (OkHttp's dispatcher), body reads included
 * @param maxRequestsPerHost of those, to one host
 * @param refusedRobotsDirectives {@code X-Robots-Tag} directives (lower-cased here) that make an
 *     answer {@link RejectReason#ROBOTS_TAG}; empty: the header is not looked at
 */
public record FetchSettings(
    Duration connectTimeout,
    Duration readTimeout,
    Duration callTimeout,
    long maxBytes,
    int maxRedirects,
    Set<String> allowedPrivateHosts,
    List<Path> allowedFileRoots,
    String userAgent,
    int maxRequests,
    int maxRequestsPerHost,
    Set<String> refusedRobotsDirectives) {

  /** Names the project, as the crawler does, so that site owners know whom to ask. */
  public static final String DEFAULT_USER_AGENT = "Memescope/0.1 (+https://github.com/memescope)";

  /** Largest cap: the body must fit in one Java array. */
  public static final long MAX_BYTES_LIMIT = Integer.MAX_VALUE - 16;

  /**
   * What img2dataset refuses by default, and what the directives mean for an image index: {@code
   * noindex} and {@code noimageindex} (do not index it), {@code none} (noindex and nofollow), and
   * the newer {@code noai} and {@code noimageai} (do not use it for AI).
   */
  public static final Set<String> DEFAULT_REFUSED_ROBOTS_DIRECTIVES =
      Set.of("noindex", "noimageindex", "none", "noai", "noimageai");

  public FetchSettings {
    positive(connectTimeout, "connectTimeout");
    positive(readTimeout, "readTimeout");
    positive(callTimeout, "callTimeout");
    if (maxBytes < 1 || maxBytes > MAX_BYTES_LIMIT) {
      throw new IllegalArgumentException(
          "maxBytes must be between 1 and " + MAX_BYTES_LIMIT + ", not " + maxBytes);
    }
    if (maxRedirects < 0) {
      throw new IllegalArgumentException("maxRedirects must not be negative: " + maxRedirects);
    }
    if (maxRequests < 1 || maxRequestsPerHost < 1) {
      throw new IllegalArgumentException(
          "maxRequests and maxRequestsPerHost must be at least 1, not "
              + maxRequests
              + " and "
              + maxRequestsPerHost);
    }
    allowedPrivateHosts =
        Objects.requireNonNull(allowedPrivateHosts, "allowedPrivateHosts").stream()
            .map(h -> h.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
    allowedFileRoots =
        Objects.requireNonNull(allowedFileRoots, "allowedFileRoots").stream()
            .map(p -> p.toAbsolutePath().normalize())
            .toList();
    if (userAgent == null || userAgent.isBlank()) {
      throw new IllegalArgumentException("userAgent must not be blank");
    }
    refusedRobotsDirectives =
        Objects.requireNonNull(refusedRobotsDirectives, "refusedRobotsDirectives").stream()
            .map(d -> d.strip().toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Sensible limits for meme images: 5 s to connect, 10 s of silence, 30 s in all, 16 MiB, 5
   * redirects, no private hosts, no local files, 64 requests in flight and 8 per host, and the
   * {@link #DEFAULT_REFUSED_ROBOTS_DIRECTIVES}.
   */
  public static FetchSettings defaults() {
    return new FetchSettings(
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        16L * 1024 * 1024,
        5,
        Set.of(),
        List.of(),
        DEFAULT_USER_AGENT,
        64,
        8,
        DEFAULT_REFUSED_ROBOTS_DIRECTIVES);
  }

  public FetchSettings withTimeouts(Duration connect, Duration read, Duration call) {
    return with(
        c -> {
          c.connectTimeout = connect;
          c.readTimeout = read;
          c.callTimeout = call;
        });
  }

  public FetchSettings withMaxBytes(long bytes) {
    return with(c -> c.maxBytes = bytes);
  }

  public FetchSettings withMaxRedirects(int redirects) {
    return with(c -> c.maxRedirects = redirects);
  }

  public FetchSettings withAllowedPrivateHosts(Set<String> hosts) {
    return with(c -> c.allowedPrivateHosts = hosts);
  }

  public FetchSettings withAllowedFileRoots(List<Path> roots) {
    return with(c -> c.allowedFileRoots = roots);
  }

  public FetchSettings withUserAgent(String agent) {
    return with(c -> c.userAgent = agent);
  }

  public FetchSettings withConcurrency(int requests, int requestsPerHost) {
    return with(
        c -> {
          c.maxRequests = requests;
          c.maxRequestsPerHost = requestsPerHost;
        });
  }

  public FetchSettings withRefusedRobotsDirectives(Set<String> directives) {
    return with(c -> c.refusedRobotsDirectives = directives);
  }

  /** A copy with what {@code change} sets changed, checked as any new settings are. */
  private FetchSettings with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new FetchSettings(
        c.connectTimeout,
        c.readTimeout,
        c.callTimeout,
        c.maxBytes,
        c.maxRedirects,
        c.allowedPrivateHosts,
        c.allowedFileRoots,
        c.userAgent,
        c.maxRequests,
        c.maxRequestsPerHost,
        c.refusedRobotsDirectives);
  }

  /** The components of a copy being made by {@link #with}. */
  private static final class Copy {
    Duration connectTimeout;
    Duration readTimeout;
    Duration callTimeout;
    long maxBytes;
    int maxRedirects;
    Set<String> allowedPrivateHosts;
    List<Path> allowedFileRoots;
    String userAgent;
    int maxRequests;
    int maxRequestsPerHost;
    Set<String> refusedRobotsDirectives;

    Copy(FetchSettings s) {
      connectTimeout = s.connectTimeout;
      readTimeout = s.readTimeout;
      callTimeout = s.callTimeout;
      maxBytes = s.maxBytes;
      maxRedirects = s.maxRedirects;
      allowedPrivateHosts = s.allowedPrivateHosts;
      allowedFileRoots = s.allowedFileRoots;
      userAgent = s.userAgent;
      maxRequests = s.maxRequests;
      maxRequestsPerHost = s.maxRequestsPerHost;
      refusedRobotsDirectives = s.refusedRobotsDirectives;
    }
  }

  private static void positive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, not " + duration);
    }
  }
}
