package io.memescope.flink.ingest;

import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.records.UrlHash;
import io.memescope.core.schema.MilvusCollection;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Reads {@link CrawlRecord}s from the crawl topic's bytes; a record that is not one (bad JSON, an
 * unknown version, a missing field, a URL hash that is not {@link UrlHash#of} its URL, a URL or
 * source id longer than the stores take) is rejected with reason {@code bad_record}, never thrown.
 * Descriptive text is cut to a bound instead: a title or author to {@link #MAX_TEXT} characters, a
 * page URL longer than {@link #MAX_URL} bytes dropped. A value the stores would refuse on every
 * retry would otherwise hold the index sink's commits for good.
 */
final class ParseRecords extends ProcessFunction<byte[], UrlInfo> {
  /** The longest image or page URL kept, in UTF-8 bytes (browsers and CDNs stop near here). */
  static final int MAX_URL = CrawlRecord.MAX_URL_BYTES;

  /** The longest title or author kept, in characters. */
  static final int MAX_TEXT = CrawlRecord.MAX_TEXT;

  /** Milvus's {@code source} field, in UTF-8 bytes. */
  static final int MAX_SOURCE = MilvusCollection.SOURCE_LENGTH;

  private transient Counters rejects;

  @Override
  public void open(org.apache.flink.api.common.functions.OpenContext context) {
    rejects = new Counters(getRuntimeContext().getMetricGroup(), "rejects");
  }

  @Override
  public void processElement(byte[] value, Context ctx, Collector<UrlInfo> out) {
    try {
      CrawlRecord record = Json.read(value, CrawlRecord.class);
      if (record.version() != CrawlRecord.VERSION) {
        throw new IllegalArgumentException("unknown record version " + record.version());
      }
      out.collect(UrlInfo.of(bounded(record)));
    } catch (Exception e) {
      String text =
          value == null
              ? ""
              : new String(value, 0, Math.min(value.length, 200), StandardCharsets.UTF_8);
      rejects.inc("bad_record");
      ctx.output(
          IngestJob.REJECTS,
          new Rejection(
              Rejection.VERSION,
              null,
              null,
              null,
              "parse",
              "bad_record",
              e.getClass().getSimpleName() + ": " + e.getMessage() + " in: " + text,
              System.currentTimeMillis()));
    }
  }

  /** The earliest discovery time taken: before it, a record's clock or encoding is wrong. */
  static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");

  /** How far a discovery time may be ahead of this clock (a crawler's clock running fast). */
  static final java.time.Duration AHEAD = java.time.Duration.ofDays(1);

  /**
   * The record with its text fields within bounds; throws when the URL, the source or the discovery
   * time is not.
   */
  static CrawlRecord bounded(CrawlRecord r) {
    int urlBytes = utf8(r.url());
    if (urlBytes > MAX_URL) {
      throw new IllegalArgumentException(
          "url is " + urlBytes + " bytes long, at most " + MAX_URL + " are taken");
    }
    if (!r.urlHash().equals(UrlHash.of(r.url()))) {
      throw new IllegalArgumentException(
          "urlHash " + abbreviated(r.urlHash()) + " is not UrlHash.of(url) " + UrlHash.of(r.url()));
    }
    Instant now = Instant.now();
    if (r.discoveredAt().isBefore(EARLIEST) || r.discoveredAt().isAfter(now.plus(AHEAD))) {
      // Its time would become the image's first sighting, and a write time in Cassandra.
      throw new IllegalArgumentException(
          "discoveredAt "
              + r.discoveredAt()
              + " is before "
              + EARLIEST
              + " or more than "
              + AHEAD.toHours()
              + " hours after this clock's "
              + now);
    }
    int sourceBytes = utf8(r.source());
    if (sourceBytes > MAX_SOURCE || r.source().isEmpty()) {
      throw new IllegalArgumentException(
          "source is " + sourceBytes + " bytes long, it must have 1 to " + MAX_SOURCE);
    }
    return r.withTextBounded();
  }

  private static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static String abbreviated(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
