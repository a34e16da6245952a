package io.memescope.core.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class QualityRegistryTest {
  @Test
  void a_version_name_gives_the_time_it_was_trained_to_the_second() {
    Instant at = Instant.parse("2026-12-05T10:41:07.654Z");
    assertThat(QualityRegistry.trainedAt(QualityRegistry.newVersion(at)))
        .contains(Instant.parse("2026-12-05T10:41:07Z"));
    assertThat(QualityRegistry.trainedAt("q-20261124T011500Z-3f2a"))
        .contains(Instant.parse("2026-11-24T01:15:00Z"));
  }

  @Test
  void a_name_of_another_form_gives_no_time() {
    assertThat(QualityRegistry.trainedAt("q-older")).isEmpty();
    assertThat(QualityRegistry.trainedAt("q-20261124T011500Z")).isEmpty();
    assertThat(QualityRegistry.trainedAt("q-20261340T011500Z-3f2a")).as("no 13th month").isEmpty();
  }
}
