package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.CrawlerSettings;
import io.memescope.core.config.CrawlerSettings.SourceSpec;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.crawler.dir.DirectorySource;
import io.memescope.crawler.dir.DirectoryWatcher;
import io.memescope.crawler.http.HostGate;
import io.memescope.crawler.publish.CrawlPublisher;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running crawler that {@code memescope up} starts. Every source, configured or added at
 * run time ({@link SourceRegistry}, re-read every {@code crawler.sources-refresh}), is polled every
 * {@code crawler.poll-interval} (varied by {@code crawler.jitter}), {@code pages-per-pass} pages at
 * a time; a pass that stopped in the middle of a long source continues shortly after, and a failed
 * pass only delays the next poll, so a source that breaks keeps being polled. Directory sources are
 * also watched, and a change wakes them within a second. All sources share one {@link HostGate}, so
 * per-host limits hold across sources. Prometheus metrics on {@code
 * crawler.metrics-host:metrics-port/metrics}.
 *
 * <pre>{@code
 * java -cp ... io.memescope.crawler.CrawlerService memescope.conf
 * }</pre>
 */
public final class CrawlerService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlerService.class);
  private static final Duration CONTINUE_AFTER = Duration.ofSeconds(1);

  /**
   * The longest wait for a host that a scheduler thread sleeps through (a pause it asked for with
   * {@code Retry-After} or a used-up rate limit, a long Crawl-delay, a queue of sources on it); a
   * source whose request would wait longer stops its pass and is scheduled again for when its turn
   * comes, leaving the thread to the other sources.
   */
  static final Duration LONGEST_SLEEP = Duration.ofSeconds(5);

  private final CrawlerSettings settings;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter discovered;
  private final Counter published;
  private final Counter skipped;
  private final Counter errors;
  private final Counter paused;
  private final Counter httpErrors;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4);
  private final CqlSession session;
  private final CrawlPublisher publisher;
  private final HTTPServer metrics;
  private final CrawlState state;
  private final SourceRegistry sources;
  private final HostGate gate;
  private final Map<String, SourceTask> tasks = new ConcurrentHashMap<>();

  /**
   * Tasks of removed or changed sources whose last pass is still running: a new task for the same
   * id starts only once that pass has ended and forgotten its cursor, so that the new one neither
   * reads the old walk's cursor nor has its own deleted.
   */
  private final Map<String, SourceTask> draining = new ConcurrentHashMap<>();

  public CrawlerService(MemescopeConfig config) throws Exception {
    this.settings = config.crawler();
    this.discovered = counter("memescope_crawl_discovered", "Image URLs found", "source");
    this.published = counter("memescope_crawl_published", "Records published to Kafka", "source");
    this.skipped =
        counter(
            "memescope_crawl_skipped",
            "URLs and pages skipped or cut, by reason (page_* for pages)",
            "source",
            "reason");
    this.errors = counter("memescope_crawl_errors", "Failed passes", "source");
    this.paused =
        counter(
            "memescope_crawl_paused",
            "Passes stopped early because the next request to a host could not go for a while",
            "source");
    this.httpErrors =
        counter(
            "memescope_crawl_http_errors",
            "Failed HTTP requests (retries included), by host and reason",
            "host",
            "reason");
    this.metrics =
        HTTPServer.builder()
            .hostname(settings.metricsHost())
            .port(settings.metricsPort())
            .registry(registry)
            .buildAndStart();
    this.session = Clients.cassandraKeyspace(config.cassandra());
    this.state = new CrawlState(session);
    this.sources = new SourceRegistry(settings, session);
    this.gate = new HostGate(settings.perHostConcurrency(), LONGEST_SLEEP);
    this.publisher =
        new CrawlPublisher(
            config.kafka().bootstrapServers(), config.kafka().topic("crawl-urls").name());
  }

  private Counter counter(String name, String help, String... labels) {
    return Counter.builder().name(name).help(help).labelNames(labels).register(registry);
  }

  /** Schedules every source, and the refresh of the list; returns at once. */
  public void start() {
    LOG.info(
        "crawler service: {} configured source(s); metrics on {}:{}",
        settings.sources().size(),
        settings.metricsHost(),
        settings.metricsPort());
    scheduler.scheduleWithFixedDelay(
        this::refresh, 0, settings.sourcesRefresh().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The ids of the sources being crawled now. */
  public java.util.Set<String> active() {
    return java.util.Set.copyOf(tasks.keySet());
  }

  /**
   * Starts sources that are new or changed, stops those that are gone. Nothing may escape: the
   * executor would cancel the refresh for good, without a word.
   */
  private void refresh() {
    try {
      refreshSources();
    } catch (RuntimeException | Error e) {
      LOG.error(
          "refreshing the crawl sources failed; tried again in {}", settings.sourcesRefresh(), e);
    }
  }

  private void refreshSources() {
    List<SourceRegistry.Entry> entries;
    try {
      entries = sources.list();
    } catch (RuntimeException e) {
      LOG.warn("cannot read the crawl sources (keeping the current ones): {}", e.toString());
      return;
    }
    Map<String, SourceRegistry.Entry> wanted = new HashMap<>();
    entries.forEach(e -> wanted.put(e.spec().id(), e));
    for (var it = tasks.entrySet().iterator(); it.hasNext(); ) {
      var current = it.next();
      SourceRegistry.Entry entry = wanted.get(current.getKey());
      // Added at another time is another source, even with the same settings: it was removed
      // (its cursor deleted) and added again between two refreshes.
      if (entry == null || !entry.equals(current.getValue().entry)) {
        LOG.info("{}: {}", current.getKey(), entry == null ? "removed" : "changed");
        SourceTask old = current.getValue();
        // At run time a source changes only by being removed and added again: either way
        // `sources remove` deleted its cursor, which a pass running since has saved again.
        // Draining before the cancel: a pass that ends in between takes itself out again.
        draining.put(current.getKey(), old);
        if (!old.cancel(true)) {
          draining.remove(current.getKey(), old);
        }
        it.remove();
      }
    }
    // An old task whose cursor could not be forgotten (Cassandra away) tries again; its id
    // stays blocked until then, or the new source would continue the old walk.
    draining.forEach(
        (id, task) -> {
          if (task.done && task.finish()) {
            draining.remove(id, task);
          }
        });
    for (SourceRegistry.Entry entry : entries) {
      SourceSpec spec = entry.spec();
      if (draining.containsKey(spec.id())) {
        continue; // the next refresh starts it, once the old pass has ended
      }
      tasks.computeIfAbsent(
          spec.id(),
          id -> {
            LOG.info("{}: crawling {} {}", id, spec.type(), spec.location());
            SourceTask task = new SourceTask(entry);
            task.schedule(jittered(Duration.ofSeconds(2)));
            return task;
          });
    }
  }

  /** One source's schedule: at most one pass at a time, woken early by a directory watch. */
  private final class SourceTask {
    final SourceRegistry.Entry entry;
    final SourceSpec spec;
    private Crawl crawl;
    private DirectoryWatcher watcher;
    private ScheduledFuture<?> next;
    private boolean running;
    private boolean wake;
    private volatile boolean cancelled;
    private boolean forget;
    // Set once a cancelled task runs no pass any more.
    private volatile boolean done;
    private PagedSource pages;

    SourceTask(SourceRegistry.Entry entry) {
      this.entry = entry;
      this.spec = entry.spec();
    }

    synchronized void schedule(Duration delay) {
      if (cancelled || scheduler.isShutdown()) {
        return;
      }
      if (running) {
        wake = true;
        return;
      }
      if (next != null && !next.isDone()) {
        if (next.getDelay(TimeUnit.MILLISECONDS) <= delay.toMillis()) {
          return;
        }
        next.cancel(false);
      }
      next = scheduler.schedule(this::run, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isCancelled() {
      return cancelled;
    }

    /**
     * Stops the task: no pass after this, and the one running stops after its page. With {@code
     * forget} (a source removed, or removed and added again), its cursor is forgotten once no pass
     * of it runs: {@code sources remove} deleted it, but a pass running then (or ended since) saved
     * it again, and adding the id again would have continued the old walk.
     *
     * @return whether the task is not finished yet: a pass still runs (the task finishes when it
     *     ends), or the cursor could not be forgotten (the next refresh tries again)
     */
    boolean cancel(boolean forget) {
      boolean idle;
      synchronized (this) {
        cancelled = true;
        this.forget |= forget; // a stop of the service does not undo a removal's forget
        if (next != null) {
          next.cancel(false);
        }
        closeWatcher();
        idle = !running;
      }
      return !idle || !finish();
    }

    /**
     * Ends a cancelled task that runs no pass any more: closes its source (a dump's open stream)
     * and forgets a removed source's cursor. Returns whether that is done.
     */
    boolean finish() {
      done = true;
      closeSource();
      boolean forgetting;
      synchronized (this) {
        forgetting = forget;
      }
      return !forgetting || forgetCursor();
    }

    private boolean forgetCursor() {
      try {
        state.saveCursor(spec.id(), java.util.Optional.empty(), java.time.Instant.now());
        return true;
      } catch (RuntimeException e) {
        LOG.warn(
            "{}: cannot forget the removed source's cursor (tried again at the next refresh): {}",
            spec.id(),
            e.toString());
        return false;
      }
    }

    private synchronized void closeSource() {
      if (pages instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          LOG.debug("closing the source {}", spec.id(), e);
        }
      }
      pages = null;
      crawl = null;
    }

    private void run() {
      synchronized (this) {
        if (cancelled) {
          return;
        }
        running = true;
        wake = false;
      }
      Duration after = pass();
      boolean ended;
      synchronized (this) {
        running = false;
        next = null;
        if (wake && after.compareTo(CONTINUE_AFTER) > 0) {
          after = CONTINUE_AFTER;
        }
        ended = cancelled;
      }
      if (ended) {
        if (finish()) {
          draining.remove(spec.id(), this);
        } // else it stays draining: the next refresh finishes it
        return;
      }
      schedule(after);
    }

    private Duration pass() {
      Duration next = jittered(settings.pollInterval());
      try {
        // A source removed or changed in the middle of a pass stops after its current page: it
        // does not go on for the rest of the pass (pages-per-pass, minutes on a slow host), nor
        // beside the changed source's new task.
        CrawlResult result = crawl().run(settings.pagesPerPass(), r -> {}, this::isCancelled);
        discovered.labelValues(spec.id()).inc(result.discovered());
        published.labelValues(spec.id()).inc(result.published());
        result.skipped().forEach((reason, n) -> skipped.labelValues(spec.id(), reason).inc(n));
        if (!result.errors().isEmpty()) {
          errors.labelValues(spec.id()).inc();
          result.errors().forEach(e -> LOG.warn("{}", e));
        } else if (result.pausedFor() != null) {
          paused.labelValues(spec.id()).inc();
          // Spread out a little: every source paused by one host would come back at once.
          long spread = Math.min(result.pausedFor().toMillis() / 10, 30_000);
          next =
              result
                  .pausedFor()
                  .plus(CONTINUE_AFTER)
                  .plusMillis(ThreadLocalRandom.current().nextLong(spread + 1));
        } else if (!result.reachedEnd()) {
          next = CONTINUE_AFTER;
        }
        if (cancelled) {
          LOG.info(
              "{}: stopped (removed, changed, or the crawler stopping) after {} page(s), {} published",
              spec.id(),
              result.pages(),
              result.published());
        } else {
          LOG.info(
              "{}: {} page(s), {} published{}; next pass in {}s",
              spec.id(),
              result.pages(),
              result.published(),
              result.pausedFor() == null ? "" : "; its host's next turn is later",
              next.toSeconds());
        }
      } catch (Exception e) {
        errors.labelValues(spec.id()).inc();
        LOG.warn("{}: pass failed: {}", spec.id(), e.toString());
      } catch (Error e) {
        // Caught so that the source is polled again: an Error escaping here left the task
        // marked running, so no later pass was ever scheduled, and the executor kept the Error
        // in its future, so nothing was logged either.
        errors.labelValues(spec.id()).inc();
        LOG.error("{}: pass failed: {}", spec.id(), e.toString(), e);
      }
      return next;
    }

    /**
     * The source's crawl, built on its first pass and kept: its HTTP client holds the robots.txt
     * cache, and a dump its open stream. A source that cannot be built yet (a directory not
     * mounted) is tried again on the next pass.
     */
    private synchronized Crawl crawl() throws IOException {
      if (crawl == null) {
        pages =
            Sources.create(
                spec,
                settings,
                gate,
                (host, reason) -> httpErrors.labelValues(host, reason).inc(),
                Clock.systemUTC());
        if (pages instanceof DirectorySource dir && !cancelled) {
          try {
            watcher = new DirectoryWatcher(dir.root(), () -> schedule(CONTINUE_AFTER));
          } catch (IOException e) {
            LOG.warn("{}: cannot watch {} ({}); polling only", spec.id(), dir.root(), e);
          }
        }
        crawl = new Crawl(pages, Crawl.origin(spec), publisher, state, Clock.systemUTC());
      }
      return crawl;
    }

    private synchronized void closeWatcher() {
      if (watcher != null) {
        try {
          watcher.close();
        } catch (IOException e) {
          LOG.debug("closing the watch of {}", spec.id(), e);
        }
        watcher = null;
      }
    }
  }

  private Duration jittered(Duration base) {
    double factor = 1 + settings.jitter() * (ThreadLocalRandom.current().nextDouble() * 2 - 1);
    return Duration.ofMillis(Math.max(1, (long) (base.toMillis() * factor)));
  }

  @Override
  public void close() throws InterruptedException {
    tasks.values().forEach(t -> t.cancel(false));
    draining.clear();
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
