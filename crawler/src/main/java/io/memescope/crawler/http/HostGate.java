package io.memescope.crawler.http;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Per-host limits shared by every source of a crawler process: at most {@code concurrency} requests
 * in flight to one origin, requests to one origin spaced by an interval, and pauses a host asks for
 * (rate-limit headers, {@code Retry-After}). Origins are {@code scheme://host:port}. Thread-safe.
 *
 * <p>A wait longer than {@code longestSleep} (a pause, a long Crawl-delay, a queue of sources on
 * one host) is not slept through: {@link #enter} refuses with {@link
 * FetchException.Reason#HOST_PAUSED}, and the caller comes back later. The crawler service runs
 * every source on a few scheduler threads; a rate limit reset ten minutes away would otherwise hold
 * one of them, and a handful of limited sources would stall all the others.
 */
public final class HostGate {
  private final int concurrency;
  private final Duration longestSleep;
  private final Map<String, Host> hosts = new ConcurrentHashMap<>();

  /** A gate that sleeps through any pause (a one-off crawl from the command line). */
  public HostGate(int concurrency) {
    this(concurrency, null);
  }

  /**
   * @param longestSleep the longest pause {@link #enter} waits out; longer ones are refused. Null:
   *     any.
   */
  public HostGate(int concurrency, Duration longestSleep) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    this.concurrency = concurrency;
    this.longestSleep = longestSleep;
  }

  private static final class Host {
    final Semaphore inFlight;
    long nextSlotNanos = System.nanoTime();
    long pausedUntilNanos = System.nanoTime();

    Host(int concurrency) {
      this.inFlight = new Semaphore(concurrency, true);
    }
  }

  /** A request slot; closing it lets the next request to the host in. */
  public interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Waits for a free request slot to {@code origin} and for its turn, {@code intervalMillis} after
   * the previous request and after any pause; {@code sleeper} does the waiting. A pause the host
   * asks for while this request waits (the answer to the request before it) holds this one too,
   * which then takes a fresh turn after it, spaced from the others as before.
   *
   * @throws FetchException of reason {@link FetchException.Reason#HOST_PAUSED}, without waiting and
   *     without taking a turn, when the wait (for a slot, for the host's pause to end, or for this
   *     request's turn) would be longer than this gate's longest sleep
   */
  public Permit enter(String origin, long intervalMillis, LongConsumer sleeper)
      throws InterruptedIOException, FetchException {
    Host host = hosts.computeIfAbsent(origin, o -> new Host(concurrency));
    try {
      if (longestSleep == null) {
        host.inFlight.acquire();
      } else if (!host.inFlight.tryAcquire(longestSleep.toNanos(), TimeUnit.NANOSECONDS)) {
        throw FetchException.hostPaused(origin, longestSleep); // every slot busy that long
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + origin);
    }
    long interval = Math.max(intervalMillis, 0) * 1_000_000;
    long wait;
    long pauseSeen;
    synchronized (host) {
      wait = takeTurn(host, origin, interval);
      pauseSeen = host.pausedUntilNanos;
    }
    while (wait > 0) {
      sleeper.accept(wait);
      synchronized (host) {
        if (host.pausedUntilNanos == pauseSeen) {
          break;
        }
        // Paused meanwhile: a fresh turn after the pause (pause() moved the next turn past it).
        wait = takeTurn(host, origin, interval);
        pauseSeen = host.pausedUntilNanos;
      }
    }
    return host.inFlight::release;
  }

  /**
   * The next turn to the host, in milliseconds from now; taken only when it is not too far off:
   * otherwise the slot is given back and the request refused. Called holding the host's lock.
   */
  private long takeTurn(Host host, String origin, long intervalNanos) throws FetchException {
    long now = System.nanoTime();
    long mine = Math.max(host.nextSlotNanos, now);
    if (tooLong(Duration.ofNanos(mine - now))) {
      host.inFlight.release();
      throw FetchException.hostPaused(origin, Duration.ofNanos(mine - now));
    }
    host.nextSlotNanos = mine + intervalNanos;
    return (mine - now) / 1_000_000;
  }

  /** Whether {@code wait} is longer than this gate sleeps through. */
  public boolean tooLong(Duration wait) {
    return longestSleep != null && wait.compareTo(longestSleep) > 0;
  }

  /** No request to {@code origin} starts before {@code pause} from now. */
  public void pause(String origin, Duration pause) {
    Host host = hosts.computeIfAbsent(origin, o -> new Host(concurrency));
    synchronized (host) {
      long until = System.nanoTime() + pause.toNanos();
      host.nextSlotNanos = Math.max(host.nextSlotNanos, until);
      host.pausedUntilNanos = Math.max(host.pausedUntilNanos, until);
    }
  }
}
