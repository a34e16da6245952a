package io.memescope.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The crawler's sources and politeness settings. */
public record CrawlerSettings(
    boolean enabled,
    List<SourceSpec> sources,
    Duration minInterval,
    long maxResponseBytes,
    int pageSize,
    Duration pollInterval,
    double jitter,
    int pagesPerPass,
    String metricsHost,
    int metricsPort) {

  /** One configured source. */
  public record SourceSpec(
      String id, String type, String location, boolean allowNsfw, Set<String> allowPrivateHosts) {}

  static final Set<String> TYPES = Set.of("reddit", "feed", "html", "list", "dir", "dump");

  public SourceSpec source(String id) {
    return sources.stream()
        .filter(s -> s.id().equals(id))
        .findFirst()
        .orElseThrow(
            () ->
                new InvalidConfigException(
                    List.of(
                        "no source '"
                            + id
                            + "' in crawler.sources; configured: "
                            + sources.stream().map(SourceSpec::id).toList())));
  }

  static CrawlerSettings read(SettingsReader r) {
    List<SourceSpec> sources = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    List<? extends Config> list;
    try {
      list = r.config().getConfigList("crawler.sources");
    } catch (ConfigException e) {
      r.problem("crawler.sources", "must be a list of objects: " + e.getMessage());
      list = List.of();
    }
    for (int i = 0; i < list.size(); i++) {
      String at = "crawler.sources[" + i + "]";
      Config c = list.get(i);
      for (String key : c.root().keySet()) {
        if (!Set.of("id", "type", "location", "allow-nsfw", "allow-private-hosts").contains(key)) {
          r.problem(at + "." + key, "is not a source setting");
        }
      }
      String id = c.hasPath("id") ? c.getString("id") : "";
      String type = c.hasPath("type") ? c.getString("type") : "";
      String location = c.hasPath("location") ? c.getString("location") : "";
      if (!id.matches("[A-Za-z0-9_.:-]{1,100}")) {
        r.problem(at + ".id", "must be 1-100 letters, digits or _ . : -");
      } else if (!ids.add(id)) {
        r.problem(at + ".id", "'" + id + "' is used twice");
      }
      if (!TYPES.contains(type)) {
        r.problem(at + ".type", "is '" + type + "', must be one of " + TYPES);
      }
      if (location.isBlank()) {
        r.problem(at + ".location", "is missing");
      }
      sources.add(
          new SourceSpec(
              id,
              type,
              location,
              c.hasPath("allow-nsfw") && c.getBoolean("allow-nsfw"),
              c.hasPath("allow-private-hosts")
                  ? Set.copyOf(c.getStringList("allow-private-hosts"))
                  : Set.of()));
    }
    return new CrawlerSettings(
        r.bool("crawler.enabled"),
        List.copyOf(sources),
        r.positiveDuration("crawler.min-interval"),
        r.megabytesAtLeast("crawler.max-response-bytes", 1) << 20,
        r.intInRange("crawler.page-size", 1, 100_000),
        r.positiveDuration("crawler.poll-interval"),
        jitter(r),
        r.intInRange("crawler.pages-per-pass", 1, 1_000_000),
        r.host("crawler.metrics-host"),
        r.port("crawler.metrics-port"));
  }

  private static double jitter(SettingsReader r) {
    double jitter = 0;
    try {
      jitter = r.config().getDouble("crawler.jitter");
    } catch (ConfigException e) {
      r.problem("crawler.jitter", "must be a number between 0 and 1");
    }
    if (jitter < 0 || jitter > 1) {
      r.problem("crawler.jitter", "is " + jitter + ", must be between 0 and 1");
    }
    return jitter;
  }
}
