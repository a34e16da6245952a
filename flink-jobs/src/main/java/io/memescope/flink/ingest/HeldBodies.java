package io.memescope.flink.ingest;

import java.util.ArrayDeque;

/**
 * The bytes of fetched images one fetch subtask holds: being read, read and waiting in Flink's
 * async queue, or being decoded by {@link Analyze}. Under backpressure (the embedder slower than
 * the fetch, as it usually is) the async queue fills with read bodies that cannot be emitted;
 * without a bound, {@code ingest.fetch.concurrency} (64) of them could sit on the heap per subtask:
 * 320 MB of 5 MB photos, 2 GB at the 32 MB cap, against a local TaskManager heap of 736 MB.
 *
 * <p>A URL's request starts while a body of the average size read so far would fit beside what is
 * held and what the requests started in the last second keep for theirs (that average each), and
 * counts {@link #forHeaders} (the average, but at most a 32nd of the capacity) until its answer's
 * headers come. A request that has waited longer for them is taken for a slow host and keeps only
 * what it counts, so that such requests do not stop the others. Its body is read only if its
 * declared size (Content-Length) fits beside what is held ({@link #declared}); otherwise the
 * request is dropped after the headers and the URL waits at the head of the queue until that size
 * fits, then is asked for again, counting it from the start. A body of undeclared size counts the
 * running average of body sizes until read. Once read, a body counts its real size until {@link
 * Analyze} has handed the image on (the two are chained, on the task's thread: {@link
 * #ofThisThread}). Nothing is refused: a body larger than the whole capacity is read when nothing
 * else is held. So the most held is the capacity, or one body larger than it, give or take bodies
 * whose size was not declared or was declared wrong.
 */
final class HeldBodies {
  /** The least a request counts until its answer's headers say how large its body is. */
  static final long WAITING_FOR_HEADERS = 64L << 10;

  /**
   * A request waiting for its headers counts at most this share of the capacity, however large the
   * bodies read so far, so that requests to a slow host hold less of it. (They can still hold all
   * of it: a request counts from its start, also while it waits behind others to its host.)
   */
  static final int HEADER_SHARE = 32;

  /** What a body of undeclared size counts until read, before any body has been read. */
  static final long FIRST_ESTIMATE = 1L << 20;

  /** The least the running average of body sizes falls to, however small the bodies read. */
  static final long LEAST_ESTIMATE = 64L << 10;

  private static final ThreadLocal<HeldBodies> OF_THREAD = new ThreadLocal<>();

  /** Whether this thread is in {@link #startWaiting} already. */
  private static final ThreadLocal<Boolean> STARTING = ThreadLocal.withInitial(() -> false);

  /** A URL waiting for room, then its request until the body is read or it ends otherwise. */
  abstract static class Ticket {
    private boolean started;
    private boolean finished;
    private long counted;

    /** The room a deferred request needs before it is asked for again; 0: unknown. */
    private long needs;

    /** When it started, while it waits for its headers (in {@code awaiting}). */
    private long startedNanos;

    /** Starts the request: called outside the lock, on whichever thread made room. */
    abstract void start();
  }

  /**
   * How long a request waiting for its headers is expected to answer within. Until then it keeps
   * room for a body of the average size when others are admitted, so that requests start about as
   * fast as their bodies fit; past it, it is taken for a slow host and keeps only what it counts,
   * so that requests to slow hosts cannot stop the others.
   */
  static final long ANSWERS_WITHIN_NANOS = 1_000_000_000L;

  private final long capacity;
  private final java.util.function.LongSupplier nanos;

  /** Started requests waiting for their headers, oldest first. */
  private final java.util.LinkedHashSet<Ticket> awaiting = new java.util.LinkedHashSet<>();

  private final ArrayDeque<Ticket> waiting = new ArrayDeque<>();
  private long held;
  private long peak;
  private long estimate = FIRST_ESTIMATE;
  private long deferrals;

  HeldBodies(long capacity) {
    this(capacity, System::nanoTime);
  }

  /** With the clock {@code nanos} (tests move it by hand). */
  HeldBodies(long capacity, java.util.function.LongSupplier nanos) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, not " + capacity);
    }
    this.capacity = capacity;
    this.nanos = nanos;
  }

  /** Makes this the budget that {@link Analyze}, chained behind the fetch, releases into. */
  void bindToThisThread() {
    OF_THREAD.set(this);
  }

  /** Undoes {@link #bindToThisThread}, if this is still the budget bound to this thread. */
  void unbindFromThisThread() {
    if (OF_THREAD.get() == this) {
      OF_THREAD.remove();
    }
  }

  /** The budget of the fetch stage chained in front, on this task's thread; null if none is. */
  static HeldBodies ofThisThread() {
    return OF_THREAD.get();
  }

  /** Starts the ticket's request now if there is room, or once there is. */
  void admit(Ticket ticket) {
    synchronized (this) {
      if (!waiting.isEmpty() || !fits(ticket)) {
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
   * The ticket's answer declares a body of {@code bytes} (-1: undeclared): whether to read it now.
   * Yes if it fits beside what the others hold, or they hold nothing; it then counts that size (an
   * undeclared one the running average). No for a ticket that has ended meanwhile.
   */
  boolean declared(Ticket ticket, long bytes) {
    boolean read;
    synchronized (this) {
      if (ticket.finished) {
        return false;
      }
      awaiting.remove(ticket);
      long size = bytes < 0 ? Math.max(estimate, ticket.counted) : bytes;
      long others = held - ticket.counted;
      read = size <= ticket.counted || others <= 0 || others + size <= capacity;
      if (read) {
        add(size - ticket.counted);
        ticket.counted = size;
      }
    }
    startWaiting(); // a body smaller than counted leaves room
    return read;
  }

  /**
   * The ticket's body was not read ({@link #declared} said no): it waits at the head of the queue
   * until {@code bytes} fit, and then counts them from the start of its next request.
   */
  void deferred(Ticket ticket, long bytes) {
    synchronized (this) {
      if (ticket.finished) {
        return;
      }
      add(-ticket.counted);
      ticket.counted = 0;
      ticket.started = false;
      ticket.needs = Math.max(bytes < 0 ? estimate : bytes, WAITING_FOR_HEADERS);
      waiting.addFirst(ticket);
      deferrals++;
    }
    startWaiting();
  }

  /**
   * The ticket's body is read: from now on it counts its real size, which {@link #release} gives
   * back when the body has been analysed.
   */
  void read(Ticket ticket, long bytes) {
    synchronized (this) {
      awaiting.remove(ticket);
      add(bytes - ticket.counted);
      ticket.counted = 0;
      ticket.finished = true;
      estimate = Math.max(LEAST_ESTIMATE, estimate + (bytes - estimate) / 8);
    }
    startWaiting();
  }

  /** The ticket's request ended without a body (rejected, failed, timed out). */
  void ended(Ticket ticket) {
    synchronized (this) {
      add(-ticket.counted);
      ticket.counted = 0;
      ticket.finished = true;
      waiting.remove(ticket);
      awaiting.remove(ticket);
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

  /** Requests dropped after their headers for want of room, since this budget was made. */
  synchronized long deferrals() {
    return deferrals;
  }

  /**
   * Whether the ticket's request may start: nothing is held, or there is room for the body it needs
   * (a deferred one), else for a body of the average size. A request then counts less than that
   * until its headers come ({@link #forHeaders}), but starting only as bodies fit keeps most bodies
   * from being refused at their headers and asked for again.
   */
  private boolean fits(Ticket ticket) {
    if (held <= 0) {
      return true;
    }
    if (ticket.needs > 0) {
      return held + ticket.needs <= capacity;
    }
    long body = Math.min(estimate, capacity);
    long kept = 0; // what requests still expected to answer soon keep besides what they count
    long now = nanos.getAsLong();
    for (Ticket t : awaiting) {
      if (now - t.startedNanos < ANSWERS_WITHIN_NANOS) {
        kept += Math.max(0, body - t.counted);
      }
    }
    return held + kept + body <= capacity;
  }

  /**
   * Starts what now fits: for the requests that have waited longer than {@link
   * #ANSWERS_WITHIN_NANOS} for their headers, room they no longer keep. Called now and then.
   */
  void recheck() {
    startWaiting();
  }

  private void begin(Ticket ticket) {
    ticket.started = true;
    ticket.counted = ticket.needs > 0 ? ticket.needs : forHeaders();
    add(ticket.counted);
    if (ticket.needs == 0) {
      ticket.startedNanos = nanos.getAsLong();
      awaiting.add(ticket);
    }
  }

  /**
   * What a request counts until its headers come: the running average of body sizes, so that
   * requests start about as fast as their bodies fit (each one that does not is asked for again),
   * but at most a {@link #HEADER_SHARE}th of the capacity and at least {@link
   * #WAITING_FOR_HEADERS}.
   */
  synchronized long forHeaders() {
    return Math.max(WAITING_FOR_HEADERS, Math.min(estimate, capacity / HEADER_SHARE));
  }

  private void add(long bytes) {
    held += bytes;
    peak = Math.max(peak, held);
  }

  /** Starts the waiting requests that now fit, in order; each outside the lock. */
  private void startWaiting() {
    if (STARTING.get()) {
      // A start that ended at once (a bad URL) made room: the loop below, further up this
      // thread's stack, starts what fits, rather than a nested loop per such start.
      return;
    }
    STARTING.set(true);
    try {
      startFitting();
    } finally {
      STARTING.set(false);
    }
  }

  private void startFitting() {
    while (true) {
      Ticket next;
      synchronized (this) {
        if (waiting.isEmpty() || !fits(waiting.peek())) {
          return;
        }
        next = waiting.poll();
        begin(next);
      }
      next.start();
    }
  }
}
