package io.memescope.crawler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gate's waits, with a sleeper that records instead of sleeping. */
class HostGateTest {
  static final String HOST = "https://memes.example:443";

  @Test
  void a_pause_asked_for_while_a_request_waits_its_turn_holds_that_request_too() throws Exception {
    HostGate gate = new HostGate(2, Duration.ofSeconds(5));
    gate.enter(HOST, 1000, ms -> {}).close();
    // The next request waits its turn (1 s); meanwhile the answer to the one before says the rate
    // limit is used up for a minute.
    List<Long> slept = new ArrayList<>();
    assertThatThrownBy(
            () ->
                gate.enter(
                    HOST,
                    1000,
                    ms -> {
                      slept.add(ms);
                      gate.pause(HOST, Duration.ofMinutes(1));
                    }))
        .isInstanceOfSatisfying(
            FetchException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(FetchException.Reason.HOST_PAUSED);
              assertThat(e.retryAfter()).isBetween(Duration.ofSeconds(58), Duration.ofMinutes(1));
            });
    assertThat(slept).singleElement().satisfies(ms -> assertThat(ms).isBetween(900L, 1000L));

    // A short pause that arrives meanwhile is slept through, after the turn.
    HostGate patient = new HostGate(1, Duration.ofSeconds(5));
    patient.enter(HOST, 1000, ms -> {}).close();
    List<Long> waits = new ArrayList<>();
    patient
        .enter(
            HOST,
            1000,
            ms -> {
              waits.add(ms);
              if (waits.size() == 1) {
                patient.pause(HOST, Duration.ofSeconds(3));
              }
            })
        .close();
    assertThat(waits).hasSize(2);
    assertThat(waits.get(1)).isBetween(2500L, 3000L);
    // Both refusals and entries gave their slot back: with one slot, this does not block.
    patient.enter("https://other.example:443", 0, ms -> {}).close();
    patient.enter(HOST, 0, ms -> {}).close();
  }
}
