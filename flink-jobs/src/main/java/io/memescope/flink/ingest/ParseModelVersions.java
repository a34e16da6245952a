package io.memescope.flink.ingest;

import io.memescope.core.quality.ModelVersion;
import java.nio.charset.StandardCharsets;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads quality model announcements from the models topic. A record that is not one (bad JSON, a
 * format this job does not know, no version name) is skipped with a log line and counted as {@code
 * models_malformed}: a bad announcement leaves the job scoring with the version it has.
 */
final class ParseModelVersions extends ProcessFunction<byte[], ModelVersion> {
  private static final Logger LOG = LoggerFactory.getLogger(ParseModelVersions.class);

  private transient Counters models;

  @Override
  public void open(org.apache.flink.api.common.functions.OpenContext context) {
    models = new Counters(getRuntimeContext().getMetricGroup(), "models");
  }

  @Override
  public void processElement(byte[] value, Context ctx, Collector<ModelVersion> out) {
    try {
      out.collect(ModelVersion.parse(value));
      models.inc("announced");
    } catch (Exception e) {
      models.inc("malformed");
      LOG.warn(
          "skipping a malformed model announcement: {}: {} in: {}",
          e.getClass().getSimpleName(),
          e.getMessage(),
          value == null
              ? ""
              : new String(value, 0, Math.min(value.length, 200), StandardCharsets.UTF_8));
    }
  }
}
