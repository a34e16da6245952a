package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.InvalidConfigException;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.crawler.publish.CrawlPublisher;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code memescope crawl SOURCE}: one pass over a configured source into the running stack, with a
 * progress line per page. Exit code 0 when the pass ended without errors.
 */
@Command(
    name = "crawl",
    mixinStandardHelpOptions = true,
    description = "Crawl one configured source (crawler.sources) once, into the running stack.")
public final class CrawlMain implements Callable<Integer> {
  @Parameters(paramLabel = "SOURCE", description = "The id of a source in crawler.sources.")
  String source;

  @Option(
      names = "--max-pages",
      defaultValue = "2147483647",
      description = "Stop after this many pages.")
  int maxPages;

  @Option(names = "--config", paramLabel = "FILE", description = "Settings file (HOCON).")
  Path configFile;

  @Option(names = "--home", paramLabel = "DIR", description = "Setting `home`.")
  Path home;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting.")
  Map<String, String> overrides = new LinkedHashMap<>();

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    CommandLine cli = new CommandLine(new CrawlMain());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parse) -> {
          commandLine.getErr().println("memescope crawl: " + e.getMessage());
          return 1;
        });
    return cli.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    MemescopeConfig config = loadConfig();
    var spec = config.crawler().source(source);
    PagedSource pages = Sources.create(spec, config.crawler(), Clock.systemUTC());
    String topic = config.kafka().topic("crawl-urls").name();
    try (CqlSession session = Clients.cassandraKeyspace(config.cassandra());
        CrawlPublisher publisher = new CrawlPublisher(config.kafka().bootstrapServers(), topic)) {
      CrawlResult result =
          new Crawl(pages, publisher, new CrawlState(session), Clock.systemUTC())
              .run(
                  maxPages,
                  p ->
                      System.out.printf(
                          "  %-20s page %d: %d found, %d published, skipped %s%n",
                          source, p.pages(), p.discovered(), p.published(), p.skipped()));
      System.out.printf(
          "%s: %d page(s), %d published%s%n",
          source,
          result.pages(),
          result.published(),
          !result.errors().isEmpty()
              ? ", stopped by an error (the cursor is kept; the next pass retries)"
              : result.reachedEnd() ? ", reached the end" : ", more to come (the cursor is saved)");
      result.errors().forEach(e -> System.err.println("memescope crawl: " + e));
      return result.errors().isEmpty() ? 0 : 1;
    } catch (com.datastax.oss.driver.api.core.AllNodesFailedException e) {
      throw new IllegalStateException(
          "Cassandra at "
              + config.cassandra().host()
              + ":"
              + config.cassandra().nativePort()
              + " does not answer; start the stack with ./memescope up");
    }
  }

  private MemescopeConfig loadConfig() {
    ConfigLoader loader =
        new ConfigLoader().optEnvironment(System.getenv()).optOverrides(overrides);
    Path file = configFile != null ? configFile : Path.of("memescope.conf");
    if (configFile != null || java.nio.file.Files.isRegularFile(file)) {
      loader.optFile(file);
    }
    if (home != null) {
      loader.optOverride("home", home.toString());
    }
    try {
      return loader.load();
    } catch (InvalidConfigException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }
}
