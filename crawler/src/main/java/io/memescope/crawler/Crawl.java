package io.memescope.crawler;

import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.http.FetchException;
import io.memescope.crawler.publish.CrawlPublisher;
import io.memescope.crawler.publish.PublishException;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One pass over a {@link PagedSource}, page by page from the saved cursor. Each page's new records
 * are published, then marked as seen, then the cursor moves: a crash at any point, or a publish
 * that failed part-way, repeats at most one page, whose records may be published a second time (the
 * ingest job's seen-URL filter drops the copies). At the end of the source the cursor is cleared,
 * so the next pass starts at the newest items again. A page that cannot be fetched or read ends the
 * pass with an error and the cursor where it was; so does a host whose next turn is further off
 * than a crawler thread sleeps, without an error. Records are remembered by {@link
 * CrawlRecord#seenKey()}: a local file that changed is published again.
 */
public final class Crawl {
  private final PagedSource pages;
  private final String source;
  private final String origin;

  /** What a configured source is, for its cursor: its type and location. */
  public static String origin(io.memescope.core.config.CrawlerSettings.SourceSpec spec) {
    return spec.type() + " " + spec.location();
  }

  private final CrawlPublisher publisher;
  private final CrawlState state;
  private final Clock clock;

  public Crawl(PagedSource pages, CrawlPublisher publisher, CrawlState state, Clock clock) {
    this(pages, null, publisher, state, clock);
  }

  /**
   * @param origin what the source is (its type and location, {@link #origin}): a cursor saved for
   *     another is not used; null for any
   */
  public Crawl(
      PagedSource pages, String origin, CrawlPublisher publisher, CrawlState state, Clock clock) {
    this.pages = pages;
    this.origin = origin;
    this.source = pages.id();
    this.publisher = publisher;
    this.state = state;
    this.clock = clock;
  }

  /** Crawls at most {@code maxPages} pages. */
  public CrawlResult run(int maxPages) {
    return run(maxPages, progress -> {});
  }

  /** Crawls at most {@code maxPages} pages, reporting the running totals after each page. */
  public CrawlResult run(int maxPages, java.util.function.Consumer<CrawlResult> progress) {
    return run(maxPages, progress, () -> false);
  }

  /**
   * Crawls at most {@code maxPages} pages, reporting the running totals after each page, and stops
   * before the next page once {@code stop} says so (the source was removed or changed). The cursor
   * is saved after each page, so a later pass continues where this one stopped.
   */
  public CrawlResult run(
      int maxPages,
      java.util.function.Consumer<CrawlResult> progress,
      java.util.function.BooleanSupplier stop) {
    int count = 0;
    int discovered = 0;
    int published = 0;
    Map<String, Integer> skipped = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    Optional<String> cursor = state.cursor(source, origin);
    boolean end = false;
    java.time.Duration paused = null;
    while (count < maxPages && !end && !stop.getAsBoolean()) {
      SourcePage page;
      try {
        page = pages.fetch(cursor);
      } catch (FetchException e) {
        if (e.reason() == FetchException.Reason.HOST_PAUSED) {
          paused = e.retryAfter();
        } else {
          errors.add(source + ": " + e.reason() + ": " + e.getMessage());
        }
        break;
      } catch (IOException e) {
        errors.add(source + ": unusable page: " + e.getMessage());
        break;
      }
      if (stop.getAsBoolean()) {
        break; // stopped while the page was fetched: neither published nor its cursor saved
      }
      count++;
      discovered += page.records().size();
      page.skipped().forEach((k, v) -> skipped.merge(k, v, Integer::sum));
      List<CrawlRecord> fresh = fresh(page.records(), skipped);
      try {
        publisher.publishAll(fresh);
      } catch (PublishException e) {
        errors.add(source + ": " + e.getMessage());
        break;
      }
      state.markSeen(fresh.stream().map(CrawlRecord::seenKey).toList(), source, clock.instant());
      published += fresh.size();
      cursor = page.after();
      state.saveCursor(source, cursor, origin, clock.instant());
      end = cursor.isEmpty();
      progress.accept(
          new CrawlResult(count, discovered, published, Map.copyOf(skipped), end, List.of()));
    }
    return new CrawlResult(count, discovered, published, skipped, end, errors, paused);
  }

  private List<CrawlRecord> fresh(List<CrawlRecord> records, Map<String, Integer> skipped) {
    Map<String, CrawlRecord> unique = new LinkedHashMap<>();
    for (CrawlRecord r : records) {
      if (unique.putIfAbsent(r.seenKey(), r) != null) {
        skipped.merge("duplicate_in_page", 1, Integer::sum);
      }
    }
    Set<String> seen = state.seen(new ArrayList<>(unique.keySet()));
    Set<String> keep = new LinkedHashSet<>(unique.keySet());
    keep.removeAll(seen);
    if (!seen.isEmpty()) {
      skipped.merge("already_published", seen.size(), Integer::sum);
    }
    return keep.stream().map(unique::get).toList();
  }
}
