package io.memescope.serving;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How many requests may use the model at once, and how long one waits for its turn. Without it a
 * burst of uploaded query images (each decoded, then run through the image tower) left request
 * threads waiting without limit, for decoding memory or a free predictor, until every one of the
 * server's threads waited and even {@code /api/stats} and the search page went unanswered. A
 * request that does not get its turn within {@code serving.model-wait} is answered 503 with
 * Retry-After; the rest of the API stays responsive. Requests whose terms are all cached never come
 * here. The memory waiting requests hold is bounded too (a quarter of the heap by default): a
 * search with a large upload that would go past it is a 503 at once.
 */
final class ModelGate {
  private final Semaphore turns;
  private final int size;
  private final Duration wait;
  private final int maxWaiting;
  private final long maxWaitingBytes;
  private final java.util.concurrent.atomic.AtomicLong waitingBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger asking =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Requests that may wait for a turn at once, per turn: past them, a 503 at once. */
  static final int WAITING_PER_TURN = 8;

  /**
   * @param size requests using the model at once: the predictors and, for images, the decoding
   *     ahead of them
   * @param wait the longest a request waits for its turn
   */
  ModelGate(int size, Duration wait) {
    this(
        size,
        wait,
        Math.min(size * WAITING_PER_TURN, MAX_WAITING),
        Runtime.getRuntime().maxMemory() / 4);
  }

  /** Waiting requests at most, whatever the turns: well within the server's request threads. */
  static final int MAX_WAITING = 64;

  /**
   * @param maxWaiting requests that may wait for a turn at once; one more is answered 503 at once:
   *     a burst within a client's rate (uncached texts cost no more than a cached one) would
   *     otherwise hold a request thread each for the whole wait, until none was left for the rest
   *     of the API
   */
  ModelGate(int size, Duration wait, int maxWaiting) {
    this(size, wait, maxWaiting, Long.MAX_VALUE);
  }

  /**
   * @param maxWaitingBytes memory that requests waiting for a turn may hold together (their
   *     uploaded images, as {@link #run(Supplier, long)} is told); one more is answered 503 at
   *     once, unless it is the only one waiting
   */
  ModelGate(int size, Duration wait, int maxWaiting, long maxWaitingBytes) {
    if (size < 1) {
      throw new IllegalArgumentException("size " + size + " is under 1");
    }
    this.size = size;
    this.turns = new Semaphore(size, true); // fair: first come, first served
    this.wait = wait;
    this.maxWaiting = maxWaiting;
    this.maxWaitingBytes = maxWaitingBytes;
  }

  /**
   * Runs {@code work} in a turn of the model's, as {@link #run(Supplier, long)} holding nothing.
   */
  <T> T run(Supplier<T> work) {
    return run(work, 0);
  }

  /**
   * Runs {@code work} in a turn of the model's.
   *
   * @param holding the memory the request holds while it waits (an uploaded image, its request body
   *     and what was parsed from it): waiting requests hold at most {@code maxWaitingBytes}
   *     together. Until 2026-12-07 only their number was bounded, and 32 searches with an 8 MiB
   *     image each, waiting at once, held about a gigabyte, twice the local server's heap.
   * @throws ApiException 503 with Retry-After when no turn came within the wait, the line or its
   *     memory is full, or the request's thread was interrupted while waiting
   */
  <T> T run(Supplier<T> work, long holding) {
    // In the gate: running or waiting.
    if (asking.incrementAndGet() > size + maxWaiting) {
      asking.decrementAndGet();
      throw busy(": " + maxWaiting + " queries are waiting for it already", null);
    }
    long held = 0;
    try {
      if (holding > 0) {
        held = holding;
        long together = waitingBytes.addAndGet(holding);
        if (together > maxWaitingBytes && together > holding) {
          throw busy(
              ": queries holding "
                  + ((together - holding) >> 20)
                  + " MiB of images are waiting for it already",
              null);
        }
      }
      boolean got;
      try {
        got = turns.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw busy(e);
      } finally {
        waitingBytes.addAndGet(-held); // no longer waiting: in a turn, or refused
        held = 0;
      }
      if (!got) {
        throw busy(null);
      }
      try {
        return work.get();
      } finally {
        turns.release();
      }
    } finally {
      waitingBytes.addAndGet(-held);
      asking.decrementAndGet();
    }
  }

  /** No turn within the wait. */
  private ApiException busy(Throwable cause) {
    return busy(
        " with other queries (" + size + " at once, none free within " + wait.toMillis() + " ms)",
        cause);
  }

  /** A 503 with Retry-After: "the model is busy" and {@code why}. */
  private static ApiException busy(String why, Throwable cause) {
    return new ApiException(
        503,
        "the model is busy" + why + "; retry in a few seconds",
        null,
        ApiException.RETRY_SECONDS,
        cause);
  }

  /** Requests using the model now. */
  int inUse() {
    return size - turns.availablePermits();
  }

  /** The memory that requests waiting for a turn hold now, as they said. */
  long waitingBytes() {
    return waitingBytes.get();
  }

  /** Requests waiting for a turn now. */
  int waiting() {
    return turns.getQueueLength();
  }
}
