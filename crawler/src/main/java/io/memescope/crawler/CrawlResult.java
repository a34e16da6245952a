package io.memescope.crawler;

import java.util.List;
import java.util.Map;

/**
 * What one crawl pass did.
 *
 * @param skipped by reason: {@code already_published}, {@code duplicate_in_page}, {@code nsfw},
 *     {@code video}, {@code no_image}, {@code bad_url}
 * @param errors one line per failure; a failed pass keeps its cursor, so nothing is lost
 */
public record CrawlResult(
    int pages,
    int discovered,
    int published,
    Map<String, Integer> skipped,
    boolean reachedEnd,
    List<String> errors) {}
