package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.CrawlerSettings;
import io.memescope.core.config.CrawlerSettings.SourceSpec;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.crawler.publish.CrawlPublisher;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running crawler that {@code memescope up} starts: every configured source is polled
 * every {@code crawler.poll-interval} (varied by {@code crawler.jitter}), {@code pages-per-pass}
 * pages at a time; a pass that stopped in the middle of a long source continues shortly after, and
 * a failed pass only delays the next poll, so a source that breaks keeps being polled. Prometheus
 * metrics on {@code crawler.metrics-host:metrics-port/metrics}.
 *
 * <pre>{@code
 * java -cp ... io.memescope.crawler.CrawlerService memescope.conf
 * }</pre>
 */
public final class CrawlerService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlerService.class);
  private static final Duration CONTINUE_AFTER = Duration.ofSeconds(1);

  private final MemescopeConfig config;
  private final CrawlerSettings settings;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter discovered;
  private final Counter published;
  private final Counter skipped;
  private final Counter errors;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
  private final CqlSession session;
  private final CrawlPublisher publisher;
  private final HTTPServer metrics;
  private final CrawlState state;
  private final java.util.Map<String, Crawl> crawls =
      new java.util.concurrent.ConcurrentHashMap<>();

  public CrawlerService(MemescopeConfig config) throws Exception {
    this.config = config;
    this.settings = config.crawler();
    this.discovered = counter("memescope_crawl_discovered", "Image URLs found", "source");
    this.published = counter("memescope_crawl_published", "Records published to Kafka", "source");
    this.skipped =
        counter("memescope_crawl_skipped", "URLs skipped, by reason", "source", "reason");
    this.errors = counter("memescope_crawl_errors", "Failed passes", "source");
    this.metrics =
        HTTPServer.builder()
            .hostname(settings.metricsHost())
            .port(settings.metricsPort())
            .registry(registry)
            .buildAndStart();
    this.session = Clients.cassandraKeyspace(config.cassandra());
    this.state = new CrawlState(session);
    this.publisher =
        new CrawlPublisher(
            config.kafka().bootstrapServers(), config.kafka().topic("crawl-urls").name());
  }

  private Counter counter(String name, String help, String... labels) {
    return Counter.builder().name(name).help(help).labelNames(labels).register(registry);
  }

  /** Schedules every configured source; returns at once. */
  public void start() {
    LOG.info(
        "crawling {} source(s); metrics on {}:{}",
        settings.sources().size(),
        settings.metricsHost(),
        settings.metricsPort());
    for (SourceSpec spec : settings.sources()) {
      scheduler.schedule(
          () -> pass(spec), jittered(Duration.ofSeconds(2)).toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void pass(SourceSpec spec) {
    Duration next = jittered(settings.pollInterval());
    try {
      CrawlResult result = crawl(spec).run(settings.pagesPerPass());
      discovered.labelValues(spec.id()).inc(result.discovered());
      published.labelValues(spec.id()).inc(result.published());
      result.skipped().forEach((reason, n) -> skipped.labelValues(spec.id(), reason).inc(n));
      if (!result.errors().isEmpty()) {
        errors.labelValues(spec.id()).inc();
        result.errors().forEach(e -> LOG.warn("{}", e));
      } else if (!result.reachedEnd()) {
        next = CONTINUE_AFTER;
      }
      LOG.info(
          "{}: {} page(s), {} published; next pass in {}s",
          spec.id(),
          result.pages(),
          result.published(),
          next.toSeconds());
    } catch (Exception e) {
      errors.labelValues(spec.id()).inc();
      LOG.warn("{}: pass failed: {}", spec.id(), e.toString());
    }
    if (!scheduler.isShutdown()) {
      scheduler.schedule(() -> pass(spec), next.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * The source's crawl, built on its first pass and kept: its HTTP client holds the robots.txt
   * cache and the per-host spacing, which must outlive a pass. A source that cannot be built yet (a
   * directory not mounted) is tried again on the next pass.
   */
  private Crawl crawl(SourceSpec spec) throws java.io.IOException {
    Crawl crawl = crawls.get(spec.id());
    if (crawl == null) {
      crawl =
          new Crawl(
              Sources.create(spec, settings, Clock.systemUTC()),
              publisher,
              state,
              Clock.systemUTC());
      crawls.put(spec.id(), crawl);
    }
    return crawl;
  }

  private Duration jittered(Duration base) {
    double factor = 1 + settings.jitter() * (ThreadLocalRandom.current().nextDouble() * 2 - 1);
    return Duration.ofMillis(Math.max(1, (long) (base.toMillis() * factor)));
  }

  @Override
  public void close() throws InterruptedException {
    scheduler.shutdownNow();
    scheduler.awaitTermination(10, TimeUnit.SECONDS);
    publisher.close();
    session.close();
    metrics.close();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: CrawlerService CONFIG_FILE");
      System.exit(2);
    }
    MemescopeConfig config = new ConfigLoader().optFile(Path.of(args[0])).load();
    CrawlerService service = new CrawlerService(config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    service.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    service.start();
  }
}
