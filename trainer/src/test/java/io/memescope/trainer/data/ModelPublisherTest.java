package io.memescope.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.quality.ScoreQuantiles;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ModelPublisherTest {
  private static final Instant NOW = Instant.parse("2026-12-05T04:00:00Z");

  private static Optional<QualityRegistry.Published> newestAt(Instant at) {
    return Optional.of(new QualityRegistry.Published("q-newest", at));
  }

  private static QualityRegistry.Entry entry(String version, Instant at) {
    QualitySpec spec = new QualitySpec(List.of("funny"), 4, List.of(3), 1, 0.0);
    return new QualityRegistry.Entry(
        version,
        at,
        spec,
        new byte[0],
        ScoreQuantiles.of(List.of("funny"), new float[][] {{0f}, {1f}}),
        Map.of(),
        0,
        "{}");
  }

  @Test
  void a_version_stamped_the_same_or_later_by_another_publication_is_a_rival() {
    QualityRegistry.Entry mine = entry("q-mine", NOW);
    var older = new QualityRegistry.Published("q-older", NOW.minusMillis(1));
    var same = new QualityRegistry.Published("q-same", NOW);
    var later = new QualityRegistry.Published("q-later", NOW.plusMillis(1));
    var listed = new QualityRegistry.Published(mine.version(), mine.createdAt());
    assertThat(ModelPublisher.rival(List.of(listed, older), mine)).isEmpty();
    assertThat(ModelPublisher.rival(List.of(older, listed, same), mine)).contains(same);
    assertThat(ModelPublisher.rival(List.of(later, listed, older), mine)).contains(later);
  }

  @Test
  void a_publication_is_stamped_now_when_every_registered_version_is_older() {
    assertThat(ModelPublisher.stamp(NOW, Optional.empty())).isEqualTo(NOW);
    assertThat(ModelPublisher.stamp(NOW, newestAt(NOW.minusSeconds(1)))).isEqualTo(NOW);
  }

  @Test
  void a_publication_is_stamped_after_a_newest_version_stamped_ahead_of_our_clock() {
    Instant ahead = NOW.plusSeconds(3600);
    assertThat(ModelPublisher.stamp(NOW, newestAt(ahead))).isEqualTo(ahead.plusMillis(1));
    assertThat(ModelPublisher.stamp(NOW, newestAt(NOW))).isEqualTo(NOW.plusMillis(1));
  }

  @Test
  void a_stamp_is_in_whole_milliseconds_as_the_registry_keeps_it() {
    Instant micros = NOW.plusNanos(400_000);
    assertThat(ModelPublisher.stamp(micros, Optional.empty())).isEqualTo(NOW);
    // The newest registered in the same millisecond: after it, not 0.4 ms into the millisecond
    // that the registry would store as the newest's own.
    assertThat(ModelPublisher.stamp(micros, newestAt(NOW))).isEqualTo(NOW.plusMillis(1));
  }

  @Test
  void a_version_published_again_announces_its_earlier_stamp_and_a_new_one_none() {
    var b = new QualityRegistry.Published("q-b", NOW);
    var a = new QualityRegistry.Published("q-a", NOW.minusSeconds(60));
    assertThat(ModelPublisher.previousStamp(List.of(b, a), "q-a")).isEqualTo(a.createdAt());
    assertThat(ModelPublisher.previousStamp(List.of(b, a), "q-new")).isNull();
    assertThat(ModelPublisher.previousStamp(List.of(), "q-new")).isNull();
  }
}
