package io.memescope.crawler.reddit;

import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.CrawlResult;
import io.memescope.crawler.CrawlState;
import io.memescope.crawler.http.FetchException;
import io.memescope.crawler.http.PoliteClient;
import io.memescope.crawler.publish.CrawlPublisher;
import io.memescope.crawler.publish.PublishException;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One pass over a Reddit-style listing, page by page from the saved cursor ({@code after}). Each
 * page's new records are published, then marked as seen, then the cursor moves: a crash at any
 * point repeats at most one page, and de-duplication by URL hash keeps it from being published
 * twice. At the end of the listing the cursor is cleared, so the next pass starts at the newest
 * posts again.
 */
public final class RedditCrawl {
  private final String source;
  private final String listingUrl;
  private final PoliteClient http;
  private final RedditListingParser parser;
  private final CrawlPublisher publisher;
  private final CrawlState state;
  private final Clock clock;

  /**
   * @param listingUrl e.g. {@code https://www.reddit.com/r/memes/new.json}
   */
  public RedditCrawl(
      String source,
      String listingUrl,
      PoliteClient http,
      RedditListingParser parser,
      CrawlPublisher publisher,
      CrawlState state,
      Clock clock) {
    this.source = source;
    this.listingUrl = listingUrl;
    this.http = http;
    this.parser = parser;
    this.publisher = publisher;
    this.state = state;
    this.clock = clock;
  }

  /** Crawls at most {@code maxPages} pages. */
  public CrawlResult run(int maxPages) {
    int pages = 0;
    int discovered = 0;
    int published = 0;
    Map<String, Integer> skipped = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    Optional<String> cursor = state.cursor(source);
    boolean end = false;
    while (pages < maxPages && !end) {
      String url = pageUrl(cursor);
      ListingPage page;
      try {
        page = parser.parse(http.get(url), clock.instant());
      } catch (FetchException e) {
        errors.add(source + ": " + e.reason() + ": " + e.getMessage());
        break;
      } catch (IOException e) {
        errors.add(source + ": page " + url + " is unusable: " + e.getMessage());
        break;
      }
      pages++;
      discovered += page.records().size();
      page.skipped().forEach((k, v) -> skipped.merge(k, v, Integer::sum));
      List<CrawlRecord> fresh = fresh(page.records(), skipped);
      try {
        publisher.publishAll(fresh);
      } catch (PublishException e) {
        errors.add(source + ": " + e.getMessage());
        break;
      }
      state.markSeen(fresh.stream().map(CrawlRecord::urlHash).toList(), source, clock.instant());
      published += fresh.size();
      cursor = page.after();
      state.saveCursor(source, cursor, clock.instant());
      end = cursor.isEmpty();
    }
    return new CrawlResult(pages, discovered, published, skipped, end, errors);
  }

  private List<CrawlRecord> fresh(List<CrawlRecord> records, Map<String, Integer> skipped) {
    Map<String, CrawlRecord> unique = new LinkedHashMap<>();
    for (CrawlRecord r : records) {
      if (unique.putIfAbsent(r.urlHash(), r) != null) {
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

  private String pageUrl(Optional<String> after) {
    String base = listingUrl + (listingUrl.contains("?") ? "&" : "?") + "limit=100&raw_json=1";
    return after
        .map(a -> base + "&after=" + URLEncoder.encode(a, StandardCharsets.UTF_8))
        .orElse(base);
  }
}
