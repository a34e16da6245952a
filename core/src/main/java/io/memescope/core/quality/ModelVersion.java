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

  /**
   * An announcement as read from the models topic; what is not one (no value, bad JSON, a format
   * this code does not know, no version name or time) is refused, so that every reader of the topic
   * skips the same records.
   */
  public static ModelVersion parse(byte[] value) throws java.io.IOException {
    if (value == null || value.length == 0) {
      throw new IllegalArgumentException("no value");
    }
    ModelVersion v = io.memescope.core.records.Json.read(value, ModelVersion.class);
    if (v.format() != FORMAT) {
      throw new IllegalArgumentException("unknown format " + v.format());
    }
    if (v.version() == null || v.version().isBlank() || v.createdAt() == null) {
      throw new IllegalArgumentException("no version name or creation time");
    }
    return v;
  }

  /**
   * Whether this announcement replaces {@code current} (null: none yet): the one stamped later
   * wins, so a replayed older announcement changes nothing.
   */
  public boolean newerThan(ModelVersion current) {
    return current == null || createdAt.isAfter(current.createdAt());
  }
}
