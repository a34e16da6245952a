package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldBodiesTest {
  private static final long MB = 1L << 20;

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
  void a_request_waiting_for_its_headers_counts_little_so_slow_hosts_do_not_fill_the_budget() {
    HeldBodies held = new HeldBodies(MB);
    List<String> started = new ArrayList<>();
    assertThat(held.forHeaders()).isEqualTo(HeldBodies.WAITING_FOR_HEADERS); // a 32nd: less
    admit(held, 20, started);
    assertThat(started).hasSize(16); // of 64 KiB
    assertThat(held.waiting()).isEqualTo(4);
    assertThat(held.held()).isEqualTo(MB);
  }

  @Test
  void a_body_is_read_only_if_its_declared_size_fits_else_it_waits_at_the_head_for_that_room() {
    HeldBodies held = new HeldBodies(8 * MB);
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
    assertThat(started).containsExactly("u0", "u1", "u2", "u3", "u2", "late");
    // Asked for again, it counts its 3 MB from the start, and its body is read.
    // "late" counts the average body size read (1.4 MB), but at most a 32nd of 8 MB.
    assertThat(held.held()).isEqualTo(7 * MB + headers);
    assertThat(held.declared(urls.get(2), 3 * MB)).isTrue();
    assertThat(held.deferrals()).isEqualTo(1);
    assertThat(held.peak()).isEqualTo(7 * MB + headers);
  }

  @Test
  void a_body_larger_than_the_whole_capacity_is_read_when_nothing_else_is_held() {
    HeldBodies held = new HeldBodies(2 * MB);
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
    HeldBodies held = new HeldBodies(64 * MB);
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
    HeldBodies held = new HeldBodies(MB);
    List<String> started = new ArrayList<>();
    List<Url> urls = admit(held, 18, started);
    // Flink's timeout ends one that is running, and one still waiting.
    held.ended(urls.get(0));
    assertThat(held.declared(urls.get(0), 100)).isFalse();
    held.deferred(urls.get(0), 100); // its late answer: ignored
    held.ended(urls.get(17));
    assertThat(started).hasSize(17).doesNotContain("u17");
    for (int i = 1; i < 17; i++) {
      held.ended(urls.get(i));
    }
    assertThat(held.held()).isZero();
    assertThat(held.waiting()).isZero();
  }

  @Test
  void a_capacity_must_be_positive() {
    assertThatThrownBy(() -> new HeldBodies(0)).hasMessageContaining("positive");
  }
}
