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
    Runnable hold =
        () ->
            gate.run(
                () -> {
                  inside.countDown();
                  try {
                    return release.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                });
    CompletableFuture<Void> first = CompletableFuture.runAsync(hold);
    CompletableFuture<Void> second = CompletableFuture.runAsync(hold);
    try {
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(gate.inUse()).isEqualTo(2);
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> gate.run(() -> "third"))
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(503);
                assertThat(e.retryAfterSeconds()).isPositive();
                assertThat(e.getMessage()).contains("model is busy");
              });
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
}
