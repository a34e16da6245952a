package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldBodiesTest {
  private static final long MB = 1L << 20;

  /** The budget's clock, moved by hand. */
  private final java.util.concurrent.atomic.AtomicLong clock =
      new java.util.concurrent.atomic.AtomicLong();

  /** A ticket that records each time it was started. */
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

  private static List<Url> admit(HeldBodies held, int n, List<String> started) {
    List<Url> urls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Url url = new Url("u" + i, started);
      urls.add(url);
      held.admit(url);
    }
    return urls;
  }

  @Test
  void requests_start_as_their_bodies_would_fit_and_ones_slow_to_answer_do_not_stop_the_others() {
    HeldBodies held = new HeldBodies(64 * MB, clock::get);
    List<String> started = new ArrayList<>();
    // Bodies of 16 MB, one at a time: the average read moves towards it, to 15 MB after 20.
    for (int i = 0; i < 20; i++) {
      Url url = new Url("big" + i, started);
      held.admit(url);
      assertThat(held.declared(url, 16 * MB)).isTrue();
      held.read(url, 16 * MB);
      held.release(16 * MB);
    }
    started.clear();
    // A request waiting for its headers counts 2 MB (a 32nd of 64), but keeps room for a 15 MB
    // body: four start, as four such bodies fit in 64 MB.
    assertThat(held.forHeaders()).isEqualTo(2 * MB);
    admit(held, 40, started);
    assertThat(started).hasSize(4);
    assertThat(held.held()).isEqualTo(8 * MB);
    // A second on, with no headers yet, they are taken for slow hosts: they keep only their 2 MB,
    // and three more start (each again keeping room for a body while it is new).
    clock.addAndGet(HeldBodies.ANSWERS_WITHIN_NANOS);
    held.recheck();
    assertThat(started).hasSize(7);
    assertThat(held.held()).isEqualTo(14 * MB);
    assertThat(held.waiting()).isEqualTo(33);
  }

  @Test
  void a_body_is_read_only_if_its_declared_size_fits_else_it_waits_at_the_head_for_that_room() {
    HeldBodies held = new HeldBodies(8 * MB, clock::get);
    long headers = held.forHeaders();
    assertThat(headers).as("a 32nd of 8 MB, under the first estimate").isEqualTo(MB / 4);
    List<String> started = new ArrayList<>();
    List<Url> urls = admit(held, 4, started);
    assertThat(started).containsExactly("u0", "u1", "u2", "u3");
    assertThat(held.declared(urls.get(0), 3 * MB)).isTrue();
    assertThat(held.declared(urls.get(1), 3 * MB)).isTrue();
    // 6 MB and two requests waiting for headers held: 3 MB more would not fit.
    assertThat(held.declared(urls.get(2), 3 * MB)).isFalse();
    held.deferred(urls.get(2), 3 * MB);
    assertThat(held.started(urls.get(2))).isFalse();
    assertThat(held.held()).isEqualTo(6 * MB + headers);
    // A URL admitted now queues behind it, though its headers would fit.
    Url late = new Url("late", started);
    held.admit(late);
    assertThat(held.started(late)).isFalse();
    // u3's body is smaller than the room left.
    assertThat(held.declared(urls.get(3), MB)).isTrue();
    held.read(urls.get(0), 3 * MB);
    held.read(urls.get(1), 3 * MB);
    held.read(urls.get(3), MB);
    assertThat(held.held()).isEqualTo(7 * MB);
    held.release(3 * MB); // u0 analysed: 4 MB held, and 3 MB fit
    // Asked for again, it counts its 3 MB from the start, and its body is read. "late" waits: a
    // body of the average size read so far (1.4 MB) would not fit beside the 7 MB.
    assertThat(started).containsExactly("u0", "u1", "u2", "u3", "u2");
    assertThat(held.held()).isEqualTo(7 * MB);
    assertThat(held.declared(urls.get(2), 3 * MB)).isTrue();
    assertThat(held.deferrals()).isEqualTo(1);
    held.read(urls.get(2), 3 * MB);
    held.release(3 * MB);
    assertThat(started).endsWith("late");
    assertThat(held.held()).isEqualTo(4 * MB + headers);
    assertThat(held.peak()).isEqualTo(7 * MB);
  }

  @Test
  void a_body_larger_than_the_whole_capacity_is_read_when_nothing_else_is_held() {
    HeldBodies held = new HeldBodies(2 * MB, clock::get);
    List<String> started = new ArrayList<>();
    List<Url> urls = admit(held, 2, started);
    assertThat(held.declared(urls.get(0), MB)).isTrue();
    assertThat(held.declared(urls.get(1), 30 * MB)).isFalse();
    held.deferred(urls.get(1), 30 * MB);
    held.read(urls.get(0), MB);
    assertThat(started).hasSize(2);
    held.release(MB); // nothing held: it goes, alone
    assertThat(started).containsExactly("u0", "u1", "u1");
    assertThat(held.declared(urls.get(1), 30 * MB)).isTrue();
    Url next = new Url("next", started);
    held.admit(next);
    assertThat(held.started(next)).isFalse();
    held.read(urls.get(1), 30 * MB);
    held.release(30 * MB);
    assertThat(held.started(next)).isTrue();
    held.ended(next);
    assertThat(held.held()).isZero();
  }

  @Test
  void a_body_of_undeclared_size_counts_the_running_average_of_sizes_read() {
    HeldBodies held = new HeldBodies(64 * MB, clock::get);
    List<String> started = new ArrayList<>();
    List<Url> urls = admit(held, 3, started);
    assertThat(held.forHeaders()).isEqualTo(HeldBodies.FIRST_ESTIMATE);
    assertThat(held.declared(urls.get(0), -1)).isTrue();
    assertThat(held.held()).isEqualTo(3 * HeldBodies.FIRST_ESTIMATE);
    held.read(urls.get(0), 9 * MB); // the average moves an eighth of the way: 2 MB
    assertThat(held.declared(urls.get(1), -1)).isTrue();
    assertThat(held.held()).isEqualTo(9 * MB + 2 * MB + HeldBodies.FIRST_ESTIMATE);
    // Requests started now count 2 MB until their headers come (a 32nd of 64 MB).
    assertThat(held.forHeaders()).isEqualTo(2 * MB);
  }

  @Test
  void a_request_that_ended_meanwhile_reads_nothing_and_leaves_nothing_counted() {
    HeldBodies held = new HeldBodies(MB, clock::get);
    List<String> started = new ArrayList<>();
    // 1 MB holds one body of the first estimate: one starts, two wait.
    List<Url> urls = admit(held, 3, started);
    assertThat(started).containsExactly("u0");
    // Its backstop ends the one running, then its late answer comes: ignored.
    held.ended(urls.get(0));
    assertThat(held.declared(urls.get(0), 100)).isFalse();
    held.deferred(urls.get(0), 100);
    assertThat(started).containsExactly("u0", "u1");
    held.ended(urls.get(2)); // one still waiting
    held.ended(urls.get(1));
    assertThat(started).containsExactly("u0", "u1");
    assertThat(held.held()).isZero();
    assertThat(held.waiting()).isZero();
  }

  @Test
  void a_capacity_must_be_positive() {
    assertThatThrownBy(() -> new HeldBodies(0, () -> 0L)).hasMessageContaining("positive");
  }
}
