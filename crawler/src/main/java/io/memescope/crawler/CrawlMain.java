package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.crawler.publish.CrawlPublisher;
import java.time.Clock;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code memescope crawl SOURCE}: one pass over a source (configured or added with {@code memescope
 * sources add}) into the running stack, with a progress bar. Exit code 0 when the pass ended
 * without errors.
 */
@Command(
    name = "memescope crawl",
    mixinStandardHelpOptions = true,
    description = "Crawl one source (see `memescope sources list`) once, into the running stack.")
public final class CrawlMain implements Callable<Integer> {
  @Parameters(paramLabel = "SOURCE", description = "The id of a source.")
  String source;

  @Option(
      names = "--max-pages",
      defaultValue = "2147483647",
      description = "Stop after this many pages (at least 1; default: all).")
  int maxPages;

  @picocli.CommandLine.Mixin SourcesMain.Settings settings;

  /** How long Kafka has to answer before the crawl starts. */
  static final java.time.Duration KAFKA_CHECK = java.time.Duration.ofSeconds(10);

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    return SourcesMain.execute(new CrawlMain(), "crawl", args);
  }

  @Override
  public Integer call() throws Exception {
    if (maxPages < 1) { // before anything connects
      throw new IllegalArgumentException("--max-pages must be at least 1, not " + maxPages);
    }
    MemescopeConfig config = settings.load();
    String topic = config.kafka().topic("crawl-urls").name();
    CrawlPublisher.checkReachable(config.kafka(), topic, KAFKA_CHECK);
    try (CqlSession session = Clients.cassandraKeyspaceForCommandLine(config.cassandra());
        CrawlPublisher publisher = new CrawlPublisher(config.kafka().bootstrapServers(), topic)) {
      SourceRegistry registry = new SourceRegistry(config.crawler(), session);
      var spec =
          registry
              .find(source)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "no source '"
                              + source
                              + "'; known: "
                              + registry.list().stream().map(e -> e.spec().id()).toList()
                              + " (memescope sources list)"));
      PagedSource pages = Sources.create(spec, config.crawler(), Clock.systemUTC());
      CrawlResult result;
      try (Progress progress = new Progress(source, pages)) {
        result =
            new Crawl(
                    pages,
                    Crawl.origin(spec),
                    publisher,
                    new CrawlState(session),
                    Clock.systemUTC())
                .run(maxPages, progress::show);
      }
      System.out.printf(
          "%s: %d page(s), %d found, %d published, skipped %s%s%n",
          source,
          result.pages(),
          result.discovered(),
          result.published(),
          result.skipped(),
          !result.errors().isEmpty()
              ? ", stopped by an error (the cursor is kept; the next pass retries)"
              : result.reachedEnd() ? ", reached the end" : ", more to come (the cursor is saved)");
      result.errors().forEach(e -> System.err.println("memescope crawl: " + e));
      return result.errors().isEmpty() ? 0 : 1;
    }
  }

  /**
   * A bar on the terminal (stderr); without one (a log, CI), a progress line every two seconds on
   * stdout. In percent where the source knows its size (files, dumps, a site walk), otherwise an
   * open-ended count of records published. Built at the first page, when that is known.
   */
  private static final class Progress implements AutoCloseable {
    private final String source;
    private final PagedSource pages;
    private ProgressBar bar;
    private boolean percent;

    Progress(String source, PagedSource pages) {
      this.source = source;
      this.pages = pages;
    }

    void show(CrawlResult so) {
      java.util.OptionalDouble done = pages.progress();
      if (bar == null) {
        percent = done.isPresent();
        ProgressBarBuilder builder =
            new ProgressBarBuilder()
                .setTaskName(source)
                .setInitialMax(percent ? 100 : -1)
                .setUnit(percent ? "%" : " rec", 1)
                .setUpdateIntervalMillis(System.console() != null ? 200 : 2000);
        if (!percent) {
          builder.showSpeed();
        }
        if (System.console() == null) {
          builder
              .setStyle(ProgressBarStyle.ASCII)
              .setConsumer(
                  new DelegatingProgressBarConsumer(
                      new io.memescope.core.progress.DistinctLines(System.out::println), 140));
        }
        bar = builder.build();
      }
      int skippedCount = so.skipped().values().stream().mapToInt(Integer::intValue).sum();
      bar.setExtraMessage(
          " pages %d, found %d, published %d, skipped %d"
              .formatted(so.pages(), so.discovered(), so.published(), skippedCount));
      bar.stepTo(
          percent && done.isPresent() ? Math.round(done.getAsDouble() * 100) : so.published());
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
