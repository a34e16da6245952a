package io.memescope.crawler;

import java.util.List;
import java.util.Map;

/**
 * What one crawl pass did.
 *
 * @param skipped by reason: {@code already_published}, {@code duplicate_in_page}, {@code nsfw},
 *     {@code video}, {@code no_image}, {@code bad_url}
 * @param errors one line per failure; a failed pass keeps its cursor, so nothing is lost
 * @param pausedFor when the pass stopped because a host's next turn was further off than a crawler
 *     thread sleeps (a pause it asked for, a Crawl-delay, a queue): how long; the cursor stays at
 *     the page not fetched. Null otherwise.
 */
public record CrawlResult(
    int pages,
    int discovered,
    int published,
    Map<String, Integer> skipped,
    boolean reachedEnd,
    List<String> errors,
    java.time.Duration pausedFor) {

  /** A pass that no host paused. */
  public CrawlResult(
      int pages,
      int discovered,
      int published,
      Map<String, Integer> skipped,
      boolean reachedEnd,
      List<String> errors) {
    this(pages, discovered, published, skipped, reachedEnd, errors, null);
  }
}
