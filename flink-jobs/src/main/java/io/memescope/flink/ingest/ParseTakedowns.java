package io.memescope.flink.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@link Takedown}s from the takedowns topic's bytes for the {@link Deduplicator}. A record
 * that is not one (bad JSON, an unknown version, a missing or malformed hash, a tombstone: lifting
 * a takedown is not supported) is skipped with a log line and counted as {@code
 * takedowns_malformed}; it never fails the job. There is no URL to reject, so nothing goes to the
 * rejects topic.
 */
final class ParseTakedowns extends ProcessFunction<byte[], Takedown> {
  private static final Logger LOG = LoggerFactory.getLogger(ParseTakedowns.class);
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern IMAGE_ID = Pattern.compile("[0-9a-f]{32}");

  private transient Counters takedowns;

  @Override
  public void open(org.apache.flink.api.common.functions.OpenContext context) {
    takedowns = new Counters(getRuntimeContext().getMetricGroup(), "takedowns");
  }

  @Override
  public void processElement(byte[] value, Context ctx, Collector<Takedown> out) {
    Takedown takedown;
    try {
      takedown = parse(value);
    } catch (Exception e) {
      takedowns.inc("malformed");
      LOG.warn(
          "skipping a malformed takedown record: {}: {} in: {}",
          e.getClass().getSimpleName(),
          e.getMessage(),
          value == null
              ? ""
              : new String(value, 0, Math.min(value.length, 200), StandardCharsets.UTF_8));
      return;
    }
    out.collect(takedown);
  }

  /**
   * The takedown in {@code value}, its hashes in lower case (as the job computes them).
   *
   * @throws Exception naming what is wrong with it
   */
  static Takedown parse(byte[] value) throws Exception {
    if (value == null || value.length == 0) {
      throw new IllegalArgumentException("no value (a tombstone? lifting a takedown is not done)");
    }
    JsonNode node = Json.mapper().readTree(value);
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    if (!node.path("phash").isIntegralNumber()) {
      // A missing pHash would read as 0 and block whatever hashes near 0.
      throw new IllegalArgumentException("no integral phash");
    }
    Takedown t = Json.mapper().treeToValue(node, Takedown.class);
    if (t.version() != Takedown.VERSION) {
      throw new IllegalArgumentException("unknown record version " + t.version());
    }
    String sha = t.sha256().toLowerCase(Locale.ROOT);
    String id = t.imageId().toLowerCase(Locale.ROOT);
    if (!SHA256.matcher(sha).matches()) {
      throw new IllegalArgumentException("sha256 is not 64 hex digits: " + t.sha256());
    }
    if (!IMAGE_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("imageId is not 32 hex digits: " + t.imageId());
    }
    return new Takedown(t.version(), id, sha, t.phash(), t.reason(), t.at());
  }
}
