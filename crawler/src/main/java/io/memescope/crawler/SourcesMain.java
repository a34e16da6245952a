package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.CrawlerSettings.SourceSpec;
import io.memescope.core.config.InvalidConfigException;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code memescope sources list|add|remove}: the crawl sources of the config file and those added
 * at run time (kept in Cassandra). The running crawler service picks changes up within {@code
 * crawler.sources-refresh}.
 */
@Command(
    name = "memescope sources",
    mixinStandardHelpOptions = true,
    description = "List, add or remove crawl sources; the crawler service follows within seconds.",
    subcommands = {SourcesMain.List.class, SourcesMain.Add.class, SourcesMain.Remove.class})
public final class SourcesMain implements Callable<Integer> {
  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 2;
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    return execute(new SourcesMain(), "sources", args);
  }

  /** Runs a crawler command; a failure is one line ({@code memescope NAME: why}) and exit 1. */
  static int execute(Object command, String name, String... args) {
    CommandLine cli = new CommandLine(command);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parse) -> {
          commandLine.getErr().println("memescope " + name + ": " + e.getMessage());
          return 1;
        });
    return cli.execute(args);
  }

  /** The settings options every crawler command takes ({@code crawl} too). */
  static final class Settings {
    @Option(names = "--config", paramLabel = "FILE", description = "Settings file (HOCON).")
    Path configFile;

    @Option(names = "--home", paramLabel = "DIR", description = "Setting `home`.")
    Path home;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting.")
    Map<String, String> overrides = new LinkedHashMap<>();

    MemescopeConfig load() {
      try {
        return ConfigLoader.forCommandLine(configFile, home, overrides).load();
      } catch (InvalidConfigException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    <T> T withRegistry(java.util.function.Function<SourceRegistry, T> action) {
      MemescopeConfig config = load();
      try (CqlSession session = Clients.cassandraKeyspaceForCommandLine(config.cassandra())) {
        return action.apply(new SourceRegistry(config.crawler(), session));
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the sources.")
  static final class List implements Callable<Integer> {
    @Mixin Settings settings;

    @Override
    public Integer call() {
      var entries = settings.withRegistry(SourceRegistry::list);
      if (entries.isEmpty()) {
        System.out.println("no sources; add one with `memescope sources add`");
        return 0;
      }
      System.out.printf("%-24s %-6s %-7s %s%n", "ID", "TYPE", "FROM", "LOCATION");
      for (SourceRegistry.Entry e : entries) {
        SourceSpec s = e.spec();
        StringBuilder options = new StringBuilder();
        if (s.allowNsfw()) {
          options.append(" allow-nsfw");
        }
        if (!s.allowPrivateHosts().isEmpty()) {
          options.append(" allow-private-hosts=").append(String.join(",", s.allowPrivateHosts()));
        }
        if (s.depth() > 0) {
          options.append(" depth=").append(s.depth()).append(" max-pages=").append(s.maxPages());
        }
        System.out.printf(
            "%-24s %-6s %-7s %s%s%n",
            s.id(), s.type(), e.configured() ? "config" : "added", s.location(), options);
      }
      return 0;
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Add a source: memescope sources add ID TYPE LOCATION [options].")
  static final class Add implements Callable<Integer> {
    @Mixin Settings settings;

    @Parameters(index = "0", paramLabel = "ID", description = "Unique id, e.g. reddit-memes.")
    String id;

    @Parameters(
        index = "1",
        paramLabel = "TYPE",
        description = "reddit | feed | html | list | dir | dump")
    String type;

    @Parameters(index = "2", paramLabel = "LOCATION", description = "A URL or a path.")
    String location;

    @Option(names = "--allow-nsfw", description = "Publish posts marked NSFW (reddit, dump).")
    boolean allowNsfw;

    @Option(
        names = "--allow-private-host",
        paramLabel = "HOST",
        description = "A host that may resolve to a private address (repeatable).")
    Set<String> privateHosts = new LinkedHashSet<>();

    @Option(names = "--depth", description = "(html) Follow same-host links this many hops.")
    int depth;

    @Option(
        names = "--max-pages",
        description = "(html) Pages read per pass when following links (default 100).")
    int maxPages = SourceSpec.DEFAULT_MAX_PAGES;

    @Override
    public Integer call() {
      String where = location;
      if (Set.of("list", "dir", "dump").contains(type)) {
        if (location.matches("(?i)[a-z][a-z0-9+.-]*://.*")) {
          throw new IllegalArgumentException(
              "location: a "
                  + type
                  + " source reads a local path, not "
                  + location
                  + " (download the file first; html and feed sources take URLs)");
        }
        Path path = Path.of(location).toAbsolutePath().normalize();
        if (!Files.exists(path)) {
          throw new IllegalArgumentException("location: " + path + " does not exist");
        }
        if ("dir".equals(type) && !Files.isDirectory(path)) {
          throw new IllegalArgumentException(
              "location: " + path + " is a file, not a directory (a list of URLs is type list)");
        }
        if (!"dir".equals(type) && Files.isDirectory(path)) {
          throw new IllegalArgumentException(
              "location: " + path + " is a directory; a " + type + " source reads one file");
        }
        where = path.toString();
      }
      SourceSpec spec = new SourceSpec(id, type, where, allowNsfw, privateHosts, depth, maxPages);
      settings.withRegistry(
          r -> {
            r.add(spec, Instant.now());
            return null;
          });
      System.out.println("added " + id + " (" + type + " " + where + ")");
      // What the ingest job, which fetches the images, would refuse of this source.
      var ingest = settings.load().ingest();
      for (String warning :
          new String[] {
            "dir".equals(type) ? outsideFileRoots(Path.of(where), ingest.fileRootPaths()) : null,
            privateHostsTheJobRefuses(privateHosts, ingest.allowPrivateHosts())
          }) {
        if (warning != null) {
          System.err.println(warning);
        }
      }
      return 0;
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Remove an added source and its cursor; the URLs it published stay remembered.")
  static final class Remove implements Callable<Integer> {
    @Mixin Settings settings;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      settings.withRegistry(
          r -> {
            r.remove(id);
            return null;
          });
      System.out.println("removed " + id);
      return 0;
    }
  }

  /** The path with its links resolved where it exists, as the fetcher resolves it. */
  private static Path real(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    try {
      return abs.toRealPath();
    } catch (java.io.IOException e) {
      return abs;
    }
  }

  /**
   * A warning when the ingest job would refuse a directory's files ({@code file_not_allowed}): it
   * reads {@code file:} URLs only under {@code ingest.fetch.file-roots}; null when it would not.
   */
  static String outsideFileRoots(Path dir, java.util.List<Path> roots) {
    Path d = real(dir);
    for (Path root : roots) {
      if (d.startsWith(real(root))) {
        return null;
      }
    }
    return "warning: "
        + d
        + " is not under ingest.fetch.file-roots "
        + roots
        + ", so the ingest job will reject its files as file_not_allowed. Add it in"
        + " memescope.conf (ingest.fetch.file-roots = [\""
        + d
        + "\"]), then restart the job and serving to apply it: ./memescope ingest cancel &&"
        + " ./memescope down serving && ./memescope up (README, \"Crawling\").";
  }

  /**
   * A warning when a source may crawl private hosts that the ingest job would still refuse to fetch
   * images from ({@code blocked_address}): the job has its own list, {@code
   * ingest.fetch.allow-private-hosts}; null when it allows them all.
   */
  static String privateHostsTheJobRefuses(
      java.util.Collection<String> sourceHosts, java.util.Collection<String> jobHosts) {
    java.util.List<String> refused =
        sourceHosts.stream().filter(h -> !jobHosts.contains(h)).toList();
    if (refused.isEmpty()) {
      return null;
    }
    return "warning: the ingest job fetches images only from the private hosts in"
        + " ingest.fetch.allow-private-hosts "
        + jobHosts
        + ", so images on "
        + refused
        + " will be rejected as blocked_address. Add them in memescope.conf, then restart the"
        + " job: ./memescope ingest cancel && ./memescope up (README, \"Crawling\").";
  }
}
