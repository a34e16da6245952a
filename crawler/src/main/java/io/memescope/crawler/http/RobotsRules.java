package io.memescope.crawler.http;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRulesParser;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * robots.txt per host (scheme, host and port), fetched once and kept for an hour, parsed by
 * crawler-commons for Memescope's user agent. As RFC 9309 asks: a missing file (4xx) allows
 * everything; a file that cannot be had (a server error, a timeout, no connection) disallows
 * everything, and so do more than 5 redirects (stricter than the RFC, which allows reading those as
 * "unavailable", that is allowing everything), and is tried again after {@link #TTL_UNREACHABLE}
 * rather than an hour. (Until 2026-12-05 a network error allowed everything for an hour.)
 */
final class RobotsRules {
  static final String AGENT = "memescope";
  private static final Duration TTL = Duration.ofHours(1);

  /** How long "robots.txt cannot be had, so nothing is allowed" is kept before trying again. */
  static final Duration TTL_UNREACHABLE = Duration.ofMinutes(10);

  private record Cached(BaseRobotRules rules, Instant until) {}

  /** Origins remembered at most; the least recently used goes first (wildcard subdomains). */
  static final int MAX_ORIGINS = 10_000;

  private final Map<String, Cached> cache =
      java.util.Collections.synchronizedMap(
          new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
              return size() > MAX_ORIGINS;
            }
          });
  private final SimpleRobotRulesParser parser = new SimpleRobotRulesParser();
  private final Clock clock;

  RobotsRules(Clock clock) {
    this.clock = clock;
  }

  /** The rules cached for {@code origin} and not stale; empty when they would have to be loaded. */
  java.util.Optional<BaseRobotRules> cached(String origin) {
    Cached cached = cache.get(origin);
    return cached != null && clock.instant().isBefore(cached.until())
        ? java.util.Optional.of(cached.rules())
        : java.util.Optional.empty();
  }

  /**
   * The Crawl-delay in milliseconds of the rules last loaded for {@code origin}, stale or not; 0
   * when none is known.
   */
  long lastCrawlDelay(String origin) {
    Cached cached = cache.get(origin);
    return cached == null ? 0 : Math.max(cached.rules().getCrawlDelay(), 0);
  }

  /** Rules for {@code origin} ("http://host:port"), loading them with {@code loader} when stale. */
  BaseRobotRules rules(String origin, Loader loader) {
    Cached cached = cache.get(origin);
    if (cached != null && clock.instant().isBefore(cached.until())) {
      return cached.rules();
    }
    Cached loaded = load(origin, loader);
    cache.put(origin, loaded);
    return loaded.rules();
  }

  private Cached load(String origin, Loader loader) {
    String url = origin + "/robots.txt";
    Instant now = clock.instant();
    try {
      Loader.Answer answer = loader.get(url);
      if (answer.status() >= 200 && answer.status() < 300) {
        return new Cached(
            parser.parseContent(url, answer.body(), "text/plain", List.of(AGENT)), now.plus(TTL));
      }
      if (answer.status() >= 400 && answer.status() < 500) {
        return new Cached(
            new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL), now.plus(TTL));
      }
      // 5xx, or a redirect left over (more than the loader follows)
    } catch (NotAsked e) {
      throw e; // nothing learnt about the host: nothing cached
    } catch (Exception e) {
      if (blockedAddress(e)) {
        // Not ours to fetch at all: the request itself is refused, with that reason, not as
        // disallowed by a robots.txt nobody read.
        return new Cached(
            new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL),
            now.plus(TTL_UNREACHABLE));
      }
      // unreachable: no connection, a timeout
    }
    return new Cached(
        new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_NONE),
        now.plus(TTL_UNREACHABLE));
  }

  private static boolean blockedAddress(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.memescope.core.net.BlockedAddressException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Thrown by a loader that could not ask now (the host's gate refused: a pause longer than the
   * crawler sleeps through), and passed on by {@link #rules}: unlike an unreachable host, nothing
   * is cached, and the caller comes back later.
   */
  static final class NotAsked extends RuntimeException {
    private final FetchException refusal;

    NotAsked(FetchException refusal) {
      super(refusal.getMessage(), refusal);
      this.refusal = refusal;
    }

    FetchException refusal() {
      return refusal;
    }
  }

  /** Fetches robots.txt without the robots check itself. */
  interface Loader {
    record Answer(int status, byte[] body) {}

    Answer get(String url) throws Exception;
  }
}
