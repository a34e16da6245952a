package io.memescope.flink.ingest;

import io.memescope.core.records.CrawlRecord;
import java.util.Map;

/** What the job keeps of a {@link CrawlRecord}: the URL and what is known about it. */
public record UrlInfo(
    String url,
    String urlHash,
    String seenKey,
    String source,
    String title,
    String page,
    String author,
    long discoveredAt,
    Map<String, String> extra) {

  public static UrlInfo of(CrawlRecord r) {
    return new UrlInfo(
        r.url(),
        r.urlHash(),
        r.seenKey(),
        r.source(),
        r.title(),
        r.page(),
        r.author(),
        r.discoveredAt().toEpochMilli(),
        Map.copyOf(r.extra()));
  }
}
