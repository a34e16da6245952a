package io.memescope.flink.ingest;

import java.util.ArrayDeque;

/**
 * The bytes of fetched images one fetch subtask holds: being read, read and waiting in Flink's
 * async queue, or being decoded by {@link Analyze}. Under backpressure (the embedder slower than
 * the fetch, as it usually is) the async queue fills with read bodies that cannot be emitted;
 * without a bound, {@code ingest.fetch.concurrency} (64) of them, 320 MB of 5 MB photos and 2 GB at
 * the 32 MB cap, sat on a TaskManager heap of 736 MB per subtask.
 *
 * <p>A URL's request starts only while what is held is under the capacity; until then the URL waits
 * here, in order. A request counts the running average size of bodies from its start, and its
 * body's real size once read, until {@link Analyze} has done with it (the two are chained, on the
 * task's thread: {@link #ofThisThread}). Nothing is refused: a body larger than all of the capacity
 * starts when what is held drops under it, so at most the capacity plus the bodies of the requests
 * already running when it filled are held.
 */
final class HeldBodies {
  /** What a request counts until its body is read, before any has been: a large meme. */
  static final long FIRST_ESTIMATE = 1L << 20;

  /** The least a request counts before its body is read, whatever the average. */
  static final long LEAST_ESTIMATE = 64L << 10;

  private static final ThreadLocal<HeldBodies> OF_THREAD = new ThreadLocal<>();

  /** A URL waiting for room, then its request until the body is read or it ends otherwise. */
  abstract static class Ticket {
    private boolean started;
    private long counted;

    /** Starts the request: called once, outside the lock, on whichever thread made room. */
    abstract void start();
  }

  private final long capacity;
  private final ArrayDeque<Ticket> waiting = new ArrayDeque<>();
  private long held;
  private long peak;
  private long estimate = FIRST_ESTIMATE;

  HeldBodies(long capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, not " + capacity);
    }
    this.capacity = capacity;
  }

  /** Makes this the budget that {@link Analyze}, chained behind the fetch, releases into. */
  void bindToThisThread() {
    OF_THREAD.set(this);
  }

  /** The budget of the fetch stage chained in front, on this task's thread; null if none is. */
  static HeldBodies ofThisThread() {
    return OF_THREAD.get();
  }

  /** Starts the ticket's request now if there is room, or once there is. */
  void admit(Ticket ticket) {
    synchronized (this) {
      if (!waiting.isEmpty() || held >= capacity) {
        waiting.add(ticket);
        return;
      }
      begin(ticket);
    }
    ticket.start();
  }

  /** Whether the ticket's request has started (or ended); false while it waits for room. */
  synchronized boolean started(Ticket ticket) {
    return ticket.started;
  }

  /**
   * The ticket's body is read: from now on it counts its real size, which {@link #release} gives
   * back when the body has been analysed.
   */
  void read(Ticket ticket, long bytes) {
    synchronized (this) {
      add(bytes - ticket.counted);
      ticket.counted = 0;
      estimate = Math.max(LEAST_ESTIMATE, estimate + (bytes - estimate) / 8);
    }
    startWaiting();
  }

  /** The ticket's request ended without a body (rejected, failed, timed out). */
  void ended(Ticket ticket) {
    synchronized (this) {
      add(-ticket.counted);
      ticket.counted = 0;
    }
    startWaiting();
  }

  /** A body of this size, counted by {@link #read}, has been analysed. */
  void release(long bytes) {
    synchronized (this) {
      add(-bytes);
    }
    startWaiting();
  }

  synchronized long held() {
    return held;
  }

  /** The most held at once since this budget was made. */
  synchronized long peak() {
    return peak;
  }

  synchronized int waiting() {
    return waiting.size();
  }

  long capacity() {
    return capacity;
  }

  private void begin(Ticket ticket) {
    ticket.started = true;
    ticket.counted = estimate;
    add(estimate);
  }

  private void add(long bytes) {
    held += bytes;
    peak = Math.max(peak, held);
  }

  private void startWaiting() {
    while (true) {
      Ticket next;
      synchronized (this) {
        if (waiting.isEmpty() || held >= capacity) {
          return;
        }
        next = waiting.poll();
        begin(next);
      }
      next.start();
    }
  }
}
