package io.memescope.crawler;

import io.memescope.core.records.CrawlRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One page of a source: its image records, what was skipped and why, and the next cursor (empty at
 * the end).
 */
public record SourcePage(
    List<CrawlRecord> records, Map<String, Integer> skipped, Optional<String> after) {}
