package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The model's turns: a request past them waits at most the wait, then gets a 503. */
class ModelGateTest {
  @Test
  void a_request_without_a_turn_within_the_wait_gets_503_with_retry_after() throws Exception {
    ModelGate gate = new ModelGate(2, Duration.ofMillis(200));
    CountDownLatch inside = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    Runnable hold = () -> hold(gate, inside, release);
    CompletableFuture<Void> first = CompletableFuture.runAsync(hold);
    CompletableFuture<Void> second = CompletableFuture.runAsync(hold);
    try {
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(gate.inUse()).isEqualTo(2);
      long t0 = System.nanoTime();
      assertBusy(() -> gate.run(() -> "third"), "model is busy");
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .as("it waited for a turn before refusing")
          .isGreaterThanOrEqualTo(Duration.ofMillis(200));
    } finally {
      release.countDown();
    }
    first.get(10, TimeUnit.SECONDS);
    second.get(10, TimeUnit.SECONDS);
    assertThat(gate.inUse()).isZero();
    assertThat(gate.run(() -> "after")).as("the turns came back").isEqualTo("after");
  }

  @Test
  void a_failure_inside_gives_the_turn_back() {
    ModelGate gate = new ModelGate(1, Duration.ofMillis(100));
    assertThatThrownBy(
            () ->
                gate.run(
                    () -> {
                      throw ApiException.badRequest("terms[0].image", "cannot be used");
                    }))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThat(gate.run(() -> 1)).isEqualTo(1);
  }

  @Test
  void past_the_waiting_line_a_request_gets_503_at_once() throws Exception {
    ModelGate gate = new ModelGate(1, Duration.ofSeconds(30), 2);
    // A thread each: the common pool may have fewer workers than the three that must block.
    java.util.concurrent.ExecutorService threads =
        java.util.concurrent.Executors.newFixedThreadPool(3);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Boolean> holder =
        CompletableFuture.supplyAsync(() -> hold(gate, inside, release), threads);
    CompletableFuture<String> first = null;
    CompletableFuture<String> second = null;
    try {
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
      first = CompletableFuture.supplyAsync(() -> gate.run(() -> "first"), threads);
      second = CompletableFuture.supplyAsync(() -> gate.run(() -> "second"), threads);
      awaitWaiting(gate, 2);
      // The line is full: no 30 s wait for this one, and the two in line are still there.
      assertBusy(() -> gate.run(() -> "third"), "2 queries are waiting");
      assertThat(first).isNotDone();
      assertThat(second).isNotDone();
    } finally {
      release.countDown();
    }
    assertThat(holder.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("second");
    assertThat(gate.run(() -> "after")).as("the line emptied").isEqualTo("after");
    threads.shutdown();
  }

  @Test
  void past_the_memory_waiting_requests_may_hold_a_large_upload_gets_503_at_once()
      throws Exception {
    ModelGate gate = new ModelGate(1, Duration.ofSeconds(30), 8, 100 << 20);
    java.util.concurrent.ExecutorService threads =
        java.util.concurrent.Executors.newFixedThreadPool(3);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Boolean> holder =
        CompletableFuture.supplyAsync(() -> hold(gate, inside, release), threads);
    CompletableFuture<String> large = null;
    CompletableFuture<String> small = null;
    try {
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
      // Alone in the line, a request may hold more than all of it: it would never be served.
      large = CompletableFuture.supplyAsync(() -> gate.run(() -> "large", 60L << 20), threads);
      awaitWaiting(gate, 1);
      assertBusy(() -> gate.run(() -> "too much", 60L << 20), "MiB of images are waiting");
      assertThat(gate.waitingBytes()).as("the refused one's bytes went").isEqualTo(60L << 20);
      small = CompletableFuture.supplyAsync(() -> gate.run(() -> "small", 30L << 20), threads);
      awaitWaiting(gate, 2);
      assertThat(large).isNotDone();
    } finally {
      release.countDown();
    }
    assertThat(holder.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(large.get(10, TimeUnit.SECONDS)).isEqualTo("large");
    assertThat(small.get(10, TimeUnit.SECONDS)).isEqualTo("small");
    assertThat(gate.waitingBytes()).isZero();
    // A single upload larger than the whole budget waits when nobody else does.
    assertThat(gate.run(() -> "alone", 500L << 20)).isEqualTo("alone");
    threads.shutdown();
  }

  private static void awaitWaiting(ModelGate gate, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (gate.waiting() < n) {
      assertThat(System.nanoTime()).as("%s in the line within 10 s", n).isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  /**
   * Takes a turn of {@code gate} and keeps it until {@code release}, saying so on {@code inside}.
   */
  private static boolean hold(ModelGate gate, CountDownLatch inside, CountDownLatch release) {
    return gate.run(
        () -> {
          inside.countDown();
          try {
            return release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** {@code call} is refused with a 503 that has Retry-After and says {@code says}. */
  private static void assertBusy(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String says) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.retryAfterSeconds()).isPositive();
              assertThat(e.getMessage()).contains(says);
            });
  }
}
