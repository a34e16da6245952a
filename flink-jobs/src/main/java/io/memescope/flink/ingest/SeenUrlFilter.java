package io.memescope.flink.ingest;

import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Drops a URL (keyed by {@link UrlInfo#seenKey()}) seen within the TTL: the crawlers already
 * de-duplicate, but two crawlers, a replayed topic or a re-added source can still repeat one. The
 * state lives in RocksDB and expires, so it does not grow without bound.
 */
final class SeenUrlFilter extends KeyedProcessFunction<String, UrlInfo, UrlInfo> {
  private final Duration ttl;
  private transient ValueState<Boolean> seen;

  SeenUrlFilter(Duration ttl) {
    this.ttl = ttl;
  }

  @Override
  public void open(OpenContext context) {
    ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Boolean.class);
    descriptor.enableTimeToLive(
        StateTtlConfig.newBuilder(ttl)
            .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
            .cleanupInRocksdbCompactFilter(1000)
            .build());
    seen = getRuntimeContext().getState(descriptor);
  }

  @Override
  public void processElement(UrlInfo info, Context ctx, Collector<UrlInfo> out) throws Exception {
    if (seen.value() == null) {
      seen.update(true);
      out.collect(info);
    }
  }
}
