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
    assertThat(slept).singleElement().satisfies(ms -> assertThat(ms).isBetween(1L, 1000L));

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
    assertThat(waits.get(1)).isBetween(1L, 3000L);
    // The entries gave their slot back: with one slot, this does not block.
    patient.enter(HOST, 0, ms -> {}).close();
  }

  @Test
  void a_turn_too_far_off_is_refused_without_being_taken() throws Exception {
    // Crawl-delay 30 s: the second request's turn is 30 s away, longer than the 5 s slept.
    HostGate gate = new HostGate(1, Duration.ofSeconds(5));
    gate.enter(HOST, 30_000, ms -> {}).close();
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> gate.enter(HOST, 30_000, ms -> {}))
          .as("refused, again: a refusal takes no turn, so the next is not pushed further out")
          .isInstanceOfSatisfying(
              FetchException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(FetchException.Reason.HOST_PAUSED);
                assertThat(e.retryAfter())
                    .isBetween(Duration.ofSeconds(25), Duration.ofSeconds(30));
              });
    }
    // Nor did a refusal keep the one slot: the second would then have waited 5 s for it and
    // been refused for that (a retry after of 5 s), not for the turn.
  }

  @Test
  void requests_that_waited_out_a_pause_take_fresh_turns_spaced_as_before() throws Exception {
    HostGate gate = new HostGate(2, Duration.ofSeconds(5));
    gate.enter(HOST, 1000, ms -> {}).close();
    // B waits its turn (1 s); meanwhile the answer before it pauses the host for 3 s.
    List<Long> b = new ArrayList<>();
    gate.enter(
            HOST,
            1000,
            ms -> {
              b.add(ms);
              if (b.size() == 1) {
                gate.pause(HOST, Duration.ofSeconds(3));
              }
            })
        .close();
    // C comes after: its turn is 1 s after B's fresh one, not at the same moment (the end of the
    // pause) as B, as when B kept its old reservation and C took the turn after the pause.
    List<Long> c = new ArrayList<>();
    gate.enter(HOST, 1000, c::add).close();
    assertThat(b).hasSize(2);
    assertThat(c).singleElement().satisfies(ms -> assertThat(ms).isBetween(3_500L, 4_000L));
  }
}
