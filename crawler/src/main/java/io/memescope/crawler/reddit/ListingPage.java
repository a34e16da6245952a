package io.memescope.crawler.reddit;

import io.memescope.core.records.CrawlRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One page of a listing: its image records, what was skipped and why, and the next cursor. */
public record ListingPage(
    List<CrawlRecord> records, Map<String, Integer> skipped, Optional<String> after) {}
