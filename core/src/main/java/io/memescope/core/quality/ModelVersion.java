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
 * @param createdAt the publication's stamp, after every version registered before it
 * @param metrics held-out figures of its training run (accuracy, log loss, calibration error)
 * @param previouslyStamped the version's stamp before this publication, where it had been published
 *     before (null on its first publication, and in announcements made before 2026-12-07): every
 *     version stamped between that and {@link #createdAt} was live after it, and this publication
 *     goes back from them ({@link #rollsBack})
 */
public record ModelVersion(
    int format,
    String version,
    Instant createdAt,
    List<String> dimensions,
    int members,
    int trainingPairs,
    Map<String, Double> metrics,
    Instant previouslyStamped) {
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

  /**
   * Whether this publication goes back from a version stamped {@code stamp} (its latest stamp as
   * the registry or an announcement gave it): this version had been published before that one, and
   * is published again after it, so that one is withdrawn and no version to fall back to while this
   * one cannot be loaded. Decided by publication stamps, which follow the order of publication
   * whatever the publishers' clocks; a version's name carries when its training started, which says
   * nothing of the order two overlapping runs were published in (until 2026-12-07 the ingest job
   * went by the names, and took a later-trained version published first for one rolled back from).
   */
  public boolean rollsBack(Instant stamp) {
    return previouslyStamped != null
        && stamp != null
        && stamp.isAfter(previouslyStamped)
        && stamp.isBefore(createdAt);
  }
}
