package io.memescope.flink.ingest;

import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import java.nio.charset.StandardCharsets;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Reads {@link CrawlRecord}s from the crawl topic's bytes; a record that is not one (bad JSON, an
 * unknown version, a missing field) is rejected with reason {@code bad_record}, never thrown.
 */
final class ParseRecords extends ProcessFunction<byte[], UrlInfo> {
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
      out.collect(UrlInfo.of(record));
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
}
