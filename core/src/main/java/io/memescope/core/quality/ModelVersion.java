package io.memescope.core.quality;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A published version of the quality model, as announced on the compacted {@code memescope.models}
 * topic (key {@link #KEY}: the topic keeps the newest). The parameters are in the registry
 * (Cassandra's {@code quality_models}); this says which version to load.
 *
 * @param version time-ordered name, e.g. {@code q-20261124T011500Z-3f2a}
 * @param metrics held-out figures of its training run (accuracy, log loss, calibration error)
 */
public record ModelVersion(
    int format,
    String version,
    Instant createdAt,
    List<String> dimensions,
    int members,
    int trainingPairs,
    Map<String, Double> metrics) {
  public static final int FORMAT = 1;
  public static final String KEY = "quality";
}
