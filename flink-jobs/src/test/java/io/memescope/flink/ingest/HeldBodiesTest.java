package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldBodiesTest {
  private static final long MB = 1L << 20;

  /** A ticket that records when it was started. */
  private static final class Url extends HeldBodies.Ticket {
    final String name;
    final List<String> started;

    Url(String name, List<String> started) {
      this.name = name;
      this.started = started;
    }

    @Override
    void start() {
      started.add(name);
    }
  }

  @Test
  void requests_start_while_what_is_held_is_under_the_capacity_and_the_rest_wait_in_order() {
    HeldBodies held = new HeldBodies(4 * MB);
    List<String> started = new ArrayList<>();
    List<Url> urls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Url url = new Url("u" + i, started);
      urls.add(url);
      held.admit(url);
    }
    // Before any body is read each request counts 1 MB: four start, four wait.
    assertThat(started).containsExactly("u0", "u1", "u2", "u3");
    assertThat(held.waiting()).isEqualTo(4);
    assertThat(held.started(urls.get(4))).isFalse();

    // The first body is 3 MB: still held until analysed, and the others wait.
    held.read(urls.get(0), 3 * MB);
    assertThat(held.held()).isEqualTo(6 * MB);
    assertThat(started).hasSize(4);
    // One request ends with no body, one body is analysed: room for the next, in order.
    held.ended(urls.get(1));
    assertThat(started).hasSize(4); // 5 MB held
    held.release(3 * MB); // 2 MB held
    // Two start, the running average of sizes now past 1 MB: (1 + (3 − 1) / 8) MB each.
    assertThat(started).containsExactly("u0", "u1", "u2", "u3", "u4", "u5");
    assertThat(held.held()).isEqualTo(2 * MB + 2 * (MB + MB / 4));
    assertThat(held.peak()).isEqualTo(6 * MB);
  }

  @Test
  void a_body_larger_than_the_whole_capacity_is_not_refused_and_then_alone() {
    HeldBodies held = new HeldBodies(2 * MB);
    List<String> started = new ArrayList<>();
    Url big = new Url("big", started);
    Url next = new Url("next", started);
    held.admit(big);
    held.admit(next);
    assertThat(started).containsExactly("big", "next"); // 1 MB each, before they are read
    held.read(big, 30 * MB);
    Url after = new Url("after", started);
    held.admit(after);
    assertThat(held.started(after)).isFalse();
    held.ended(next);
    assertThat(held.started(after)).as("30 MB still held").isFalse();
    held.release(30 * MB);
    assertThat(started).containsExactly("big", "next", "after");
    // Nothing counted twice or lost: what the last one counts is all that is held.
    held.ended(after);
    assertThat(held.held()).isZero();
  }

  @Test
  void small_bodies_let_more_requests_run_at_once_but_each_counts_at_least_64_kib() {
    HeldBodies held = new HeldBodies(MB);
    List<String> started = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Url url = new Url("s" + i, started);
      held.admit(url);
      if (held.started(url)) {
        held.read(url, 1);
        held.release(1);
      }
    }
    assertThat(started).hasSize(100);
    // The average has fallen to its floor: 16 requests of 64 KiB fill 1 MB.
    List<String> running = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      held.admit(new Url("r" + i, running));
    }
    assertThat(running).hasSize(16);
  }

  @Test
  void a_capacity_must_be_positive() {
    assertThatThrownBy(() -> new HeldBodies(0)).hasMessageContaining("positive");
  }
}
