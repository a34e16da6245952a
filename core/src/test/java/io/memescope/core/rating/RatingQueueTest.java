package io.memescope.core.rating;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RatingQueueTest {
  @Test
  void ranksFollowTheLastEntryAndNeverFallBelowTheClock() {
    Instant now = Instant.parse("2026-12-05T06:00:00.123456789Z");
    long micros = 1_796_450_400_123_456L;
    assertThat(RatingQueue.firstRank(null, now)).as("an empty queue").isEqualTo(micros);
    assertThat(RatingQueue.firstRank(5L, now))
        .as("a queue of small ranks, as before ranks followed the clock")
        .isEqualTo(micros);
    assertThat(RatingQueue.firstRank(micros + 40, now))
        .as("entries added this microsecond or by a clock ahead")
        .isEqualTo(micros + 41);
  }
}
