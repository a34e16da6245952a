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
 * here.
 */
final class ModelGate {
  private final Semaphore turns;
  private final int size;
  private final Duration wait;

  /**
   * @param size requests using the model at once: the predictors and, for images, the decoding
   *     ahead of them
   * @param wait the longest a request waits for its turn
   */
  ModelGate(int size, Duration wait) {
    if (size < 1) {
      throw new IllegalArgumentException("size " + size + " is under 1");
    }
    this.size = size;
    this.turns = new Semaphore(size, true); // fair: first come, first served
    this.wait = wait;
  }

  /**
   * Runs {@code work} in a turn of the model's.
   *
   * @throws ApiException 503 with Retry-After when no turn came within the wait, or the request's
   *     thread was interrupted while waiting
   */
  <T> T run(Supplier<T> work) {
    boolean got;
    try {
      got = turns.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw busy(e);
    }
    if (!got) {
      throw busy(null);
    }
    try {
      return work.get();
    } finally {
      turns.release();
    }
  }

  private ApiException busy(Throwable cause) {
    return new ApiException(
        503,
        "the model is busy with other queries ("
            + size
            + " at once, none free within "
            + wait.toMillis()
            + " ms); retry in a few seconds",
        null,
        ApiException.RETRY_SECONDS,
        cause);
  }

  /** Requests using the model now. */
  int inUse() {
    return size - turns.availablePermits();
  }

  /** Requests waiting for a turn now. */
  int waiting() {
    return turns.getQueueLength();
  }
}
