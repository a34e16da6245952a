package io.memescope.crawler.http;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRulesParser;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * robots.txt per host (scheme, host and port), fetched once and kept for an hour, parsed by
 * crawler-commons for Memescope's user agent. A missing file (4xx) allows everything; a server
 * error (5xx) disallows everything until the next try, as the robots convention asks.
 */
final class RobotsRules {
  static final String AGENT = "memescope";
  private static final Duration TTL = Duration.ofHours(1);

  private record Cached(BaseRobotRules rules, Instant until) {}

  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private final SimpleRobotRulesParser parser = new SimpleRobotRulesParser();
  private final Clock clock;

  RobotsRules(Clock clock) {
    this.clock = clock;
  }

  /** Rules for {@code origin} ("http://host:port"), loading them with {@code loader} when stale. */
  BaseRobotRules rules(String origin, Loader loader) {
    Cached cached = cache.get(origin);
    if (cached != null && clock.instant().isBefore(cached.until())) {
      return cached.rules();
    }
    BaseRobotRules rules = load(origin, loader);
    cache.put(origin, new Cached(rules, clock.instant().plus(TTL)));
    return rules;
  }

  private BaseRobotRules load(String origin, Loader loader) {
    String url = origin + "/robots.txt";
    try {
      Loader.Answer answer = loader.get(url);
      if (answer.status() >= 200 && answer.status() < 300) {
        return parser.parseContent(url, answer.body(), "text/plain", List.of(AGENT));
      }
      return answer.status() >= 500
          ? new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_NONE)
          : new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL);
    } catch (Exception e) {
      return new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL);
    }
  }

  /** Fetches robots.txt without the robots check itself. */
  interface Loader {
    record Answer(int status, byte[] body) {}

    Answer get(String url) throws Exception;
  }
}
