package io.memescope.flink.rescore;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.quality.QualityRegistry;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * The re-scoring job's pure parts: the catch-up pass's token ranges cover Cassandra's whole Murmur3
 * ring, each token once; when a job counts as superseded; and the parallelism its stages run at.
 */
class RescoreJobTest {
  @Test
  void ranges_are_contiguous_and_cover_the_ring_from_its_minimum_to_its_maximum() {
    for (int n : new int[] {1, 2, 3, 7, RescoreJob.TOKEN_RANGES}) {
      long[] first = RescoreJob.tokenRange(0, n);
      assertThat(first[0])
          .as("the ring's minimum, which no key hashes to")
          .isEqualTo(Long.MIN_VALUE);
      long previous = first[0];
      for (int i = 0; i < n; i++) {
        long[] r = RescoreJob.tokenRange(i, n);
        assertThat(r[0]).as("range %d of %d starts where the last ended", i, n).isEqualTo(previous);
        assertThat(r[1]).as("range %d of %d is not empty", i, n).isGreaterThan(r[0]);
        previous = r[1];
      }
      assertThat(previous)
          .as("the last of %d ends at the ring's maximum", n)
          .isEqualTo(Long.MAX_VALUE);
    }
  }

  @Test
  void ranges_are_about_equal() {
    int n = RescoreJob.TOKEN_RANGES;
    double expected = Math.pow(2, 64) / n;
    for (int i = 0; i < n; i++) {
      long[] r = RescoreJob.tokenRange(i, n);
      double width = (double) r[1] - (double) r[0];
      assertThat(width / expected).as("range %d", i).isBetween(0.999, 1.001);
    }
  }

  @Test
  void the_slices_and_the_catch_up_pass_run_at_the_configured_parallelism() {
    // Not left to Flink's adaptive batch scheduler, which gave 256 slices one subtask
    // (RescoreRestartTest: an operator without its own parallelism ran on one of four slots).
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    RescoreJob.pipeline(env, "", "q-test", 3);
    Set<String> checked = new HashSet<>();
    for (Transformation<?> sink : env.getTransformations()) {
      for (Transformation<?> t : sink.getTransitivePredecessors()) {
        if (t.getName().startsWith("re-score ") || t.getName().startsWith("catch up ")) {
          assertThat(t.isParallelismConfigured()).as(t.getName()).isTrue();
          assertThat(t.getParallelism()).as(t.getName()).isEqualTo(3);
          checked.add(t.getName());
        }
      }
    }
    assertThat(checked).containsExactlyInAnyOrder("re-score q-test", "catch up q-test");
  }

  @Test
  void only_another_version_published_later_supersedes_a_job() {
    Instant t = Instant.parse("2026-12-04T22:00:00Z");
    assertThat(RescoreJob.supersedes(Optional.empty(), "q-a", t)).isFalse();
    assertThat(RescoreJob.supersedes(Optional.of(entry("q-b", t.plusSeconds(1))), "q-a", t))
        .as("another version, later")
        .isTrue();
    assertThat(RescoreJob.supersedes(Optional.of(entry("q-b", t.minusSeconds(1))), "q-a", t))
        .as("another version, earlier")
        .isFalse();
    assertThat(RescoreJob.supersedes(Optional.of(entry("q-a", t.plusSeconds(1))), "q-a", t))
        .as("the same version published again")
        .isFalse();
  }

  private static QualityRegistry.Published entry(String version, Instant createdAt) {
    return new QualityRegistry.Published(version, createdAt);
  }
}
