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
            Map.of("accuracy", 0.81));
    assertThat(ModelVersion.parse(Json.write(v))).isEqualTo(v);
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
