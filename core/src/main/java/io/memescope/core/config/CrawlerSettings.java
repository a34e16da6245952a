package io.memescope.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.URI;
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
    int perHostConcurrency,
    long maxResponseBytes,
    int pageSize,
    Duration pollInterval,
    double jitter,
    int pagesPerPass,
    Duration sourcesRefresh,
    String metricsHost,
    int metricsPort) {

  /**
   * One source, from {@code crawler.sources} or added at run time ({@code memescope sources add}).
   *
   * @param depth (html) how many links away from {@code location} to follow, on the same host
   * @param maxPages (html) pages read per pass when following links
   */
  public record SourceSpec(
      String id,
      String type,
      String location,
      boolean allowNsfw,
      Set<String> allowPrivateHosts,
      int depth,
      int maxPages) {
    public static final int DEFAULT_MAX_PAGES = 100;

    public SourceSpec {
      allowPrivateHosts = Set.copyOf(allowPrivateHosts);
    }

    /** A source with the defaults for everything but its id, type and location. */
    public static SourceSpec of(String id, String type, String location) {
      return new SourceSpec(id, type, location, false, Set.of(), 0, DEFAULT_MAX_PAGES);
    }

    /** What is wrong with this source, one line per problem, each starting with its key. */
    public List<String> problems() {
      List<String> problems = new ArrayList<>();
      if (!id.matches("[A-Za-z0-9_.:-]{1,100}")) {
        problems.add("id: '" + id + "' must be 1-100 letters, digits or _ . : -");
      }
      if (!TYPES.contains(type)) {
        problems.add("type: is '" + type + "', must be one of " + TYPES);
      }
      if (location.isBlank()) {
        problems.add("location: is missing");
      } else if (Set.of("reddit", "feed", "html").contains(type)) {
        try {
          URI uri = new URI(location);
          if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
              || uri.getHost() == null) {
            problems.add("location: a " + type + " source needs an http(s) URL, not " + location);
          }
        } catch (java.net.URISyntaxException e) {
          problems.add("location: not a URL: " + e.getMessage());
        }
      }
      if (depth < 0 || depth > 10) {
        problems.add("depth: is " + depth + ", must be 0-10");
      } else if (depth > 0 && !"html".equals(type)) {
        problems.add("depth: only html sources follow links");
      }
      if (maxPages < 1 || maxPages > 100_000) {
        problems.add("max-pages: is " + maxPages + ", must be 1-100000");
      }
      return problems;
    }
  }

  static final Set<String> TYPES = Set.of("reddit", "feed", "html", "list", "dir", "dump");
  private static final Set<String> SOURCE_KEYS =
      Set.of("id", "type", "location", "allow-nsfw", "allow-private-hosts", "depth", "max-pages");

  /** The configured source {@code id}. */
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
      // Where the entry, or one of its fields, was written: "memescope.conf: 12".
      java.util.function.Function<String, com.typesafe.config.ConfigOrigin> origin =
          key -> c.root().containsKey(key) ? c.root().get(key).origin() : c.root().origin();
      for (String key : c.root().keySet()) {
        if (!SOURCE_KEYS.contains(key)) {
          r.problem(at + "." + key, "is not a source setting", origin.apply(key));
        }
      }
      try {
        SourceSpec spec =
            new SourceSpec(
                c.hasPath("id") ? c.getString("id") : "",
                c.hasPath("type") ? c.getString("type") : "",
                c.hasPath("location") ? c.getString("location") : "",
                c.hasPath("allow-nsfw") && c.getBoolean("allow-nsfw"),
                c.hasPath("allow-private-hosts")
                    ? Set.copyOf(c.getStringList("allow-private-hosts"))
                    : Set.of(),
                c.hasPath("depth") ? c.getInt("depth") : 0,
                c.hasPath("max-pages") ? c.getInt("max-pages") : SourceSpec.DEFAULT_MAX_PAGES);
        for (String problem : spec.problems()) {
          int colon = problem.indexOf(": ");
          String field = problem.substring(0, colon);
          r.problem(at + "." + field, problem.substring(colon + 2), origin.apply(field));
        }
        if (!ids.add(spec.id())) {
          r.problem(at + ".id", "'" + spec.id() + "' is used twice", origin.apply("id"));
        }
        sources.add(spec);
      } catch (ConfigException e) {
        r.problem(at, e.getMessage(), c.root().origin());
      }
    }
    return new CrawlerSettings(
        r.bool("crawler.enabled"),
        List.copyOf(sources),
        r.positiveDuration("crawler.min-interval"),
        r.intInRange("crawler.per-host-concurrency", 1, 64),
        r.megabytesAtLeast("crawler.max-response-bytes", 1) << 20,
        r.intInRange("crawler.page-size", 1, 100_000),
        r.positiveDuration("crawler.poll-interval"),
        jitter(r),
        r.intInRange("crawler.pages-per-pass", 1, 1_000_000),
        r.positiveDuration("crawler.sources-refresh"),
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
