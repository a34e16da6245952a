package io.memescope.flink.ingest;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Counters by code, registered on first use as {@code <prefix>_<code>} in an operator's metric
 * group: {@code rejects_timeout}, {@code indexed_near_duplicate}, ... {@code memescope ingest
 * status} sums them over subtasks through the REST API, and a metrics reporter exports them.
 */
final class Counters {
  private final MetricGroup group;
  private final String prefix;
  private final Map<String, Counter> counters = new HashMap<>();

  Counters(MetricGroup group, String prefix) {
    this.group = group;
    this.prefix = prefix;
  }

  void inc(String code) {
    counters.computeIfAbsent(code, c -> group.counter(prefix + "_" + c)).inc();
  }
}
