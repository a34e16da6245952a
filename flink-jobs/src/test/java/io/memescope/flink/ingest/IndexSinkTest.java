package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class IndexSinkTest {
  @Test
  void the_committer_waits_longer_before_each_retry_and_flinks_ten_retries_span_half_a_minute() {
    assertThat(IntStream.rangeClosed(1, 7).mapToObj(IndexSink::backoff))
        .containsExactly(
            Duration.ofMillis(250),
            Duration.ofMillis(500),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(5),
            Duration.ofSeconds(5));
    // Flink calls commit again at once, up to sink.committer.retries (10) times, then fails the
    // job: without the waits a store gone for a second used them up in milliseconds.
    long total = IntStream.rangeClosed(1, 10).mapToLong(a -> IndexSink.backoff(a).toMillis()).sum();
    assertThat(total).isEqualTo(32_750);
    assertThat(IndexSink.backoff(1_000)).isEqualTo(Duration.ofSeconds(5));
  }
}
