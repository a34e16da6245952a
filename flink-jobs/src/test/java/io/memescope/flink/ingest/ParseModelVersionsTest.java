package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.quality.ModelVersion;
import io.memescope.core.records.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the ingest job accepts from the models topic, and what it skips (never failing). */
class ParseModelVersionsTest {
  @Test
  void an_announcement_round_trips() throws Exception {
    ModelVersion v =
        new ModelVersion(
            ModelVersion.FORMAT,
            "q-20261202T040000Z-ab12",
            Instant.parse("2026-12-02T04:00:00Z"),
            List.of("usefulness", "memeness"),
            5,
            1200,
            Map.of("accuracy", 0.81),
            Instant.parse("2026-12-01T09:00:00Z"));
    assertThat(ModelVersion.parse(Json.write(v))).isEqualTo(v);
    // As announced before 2026-12-07, without the version's earlier stamp: a first publication.
    ModelVersion older =
        ModelVersion.parse(
            bytes(
                "{\"format\":1,\"version\":\"q-x\",\"createdAt\":\"2026-12-02T04:00:00Z\","
                    + "\"dimensions\":[\"funny\"],\"members\":5,\"trainingPairs\":10}"));
    assertThat(older.previouslyStamped()).isNull();
    assertThat(older.rollsBack(Instant.parse("2026-12-02T03:00:00Z"))).isFalse();
  }

  @Test
  void a_publication_goes_back_from_the_versions_stamped_since_its_earlier_publication() {
    Instant first = Instant.parse("2026-12-01T09:00:00Z");
    Instant again = Instant.parse("2026-12-02T09:00:00Z");
    ModelVersion back =
        new ModelVersion(
            ModelVersion.FORMAT, "q-a", again, List.of("funny"), 5, 10, Map.of(), first);
    assertThat(back.rollsBack(first.plusMillis(1))).isTrue();
    assertThat(back.rollsBack(again.minusMillis(1))).isTrue();
    assertThat(back.rollsBack(first)).as("itself, as it was").isFalse();
    assertThat(back.rollsBack(first.minusSeconds(1))).as("live before it").isFalse();
    assertThat(back.rollsBack(again)).isFalse();
    assertThat(back.rollsBack(null)).isFalse();
    ModelVersion firstTime =
        new ModelVersion(
            ModelVersion.FORMAT, "q-a", again, List.of("funny"), 5, 10, Map.of(), null);
    assertThat(firstTime.rollsBack(first.plusMillis(1))).isFalse();
  }

  @Test
  void malformed_announcements_are_refused_with_a_reason() {
    assertThatThrownBy(() -> ModelVersion.parse(null)).hasMessageContaining("no value");
    assertThatThrownBy(() -> ModelVersion.parse(new byte[0])).hasMessageContaining("no value");
    assertThatThrownBy(() -> ModelVersion.parse(bytes("{not json"))).isInstanceOf(Exception.class);
    assertThatThrownBy(
            () ->
                ModelVersion.parse(
                    bytes(
                        "{\"format\":2,\"version\":\"q-x\",\"createdAt\":\"2026-12-02T04:00:00Z\"}")))
        .hasMessageContaining("unknown format 2");
    assertThatThrownBy(() -> ModelVersion.parse(bytes("{\"format\":1,\"version\":\"\"}")))
        .hasMessageContaining("no version name");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
