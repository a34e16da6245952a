package io.memescope.crawler.http;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.LongConsumer;

/**
 * Per-host limits shared by every source of a crawler process: at most {@code concurrency} requests
 * in flight to one origin, requests to one origin spaced by an interval, and pauses a host asks for
 * (rate-limit headers, {@code Retry-After}). Origins are {@code scheme://host:port}. Thread-safe.
 *
 * <p>A pause longer than {@code longestSleep} is not slept through: {@link #enter} refuses with
 * {@link FetchException.Reason#HOST_PAUSED}, and the caller comes back later. The crawler service
 * runs every source on a few scheduler threads; a rate limit reset ten minutes away would otherwise
 * hold one of them, and a handful of limited sources would stall all the others.
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
   * the previous request and after any pause; {@code sleeper} does the waiting.
   *
   * @throws FetchException of reason {@link FetchException.Reason#HOST_PAUSED}, without waiting,
   *     when the host's pause has longer to run than this gate's longest sleep
   */
  public Permit enter(String origin, long intervalMillis, LongConsumer sleeper)
      throws InterruptedIOException, FetchException {
    Host host = hosts.computeIfAbsent(origin, o -> new Host(concurrency));
    try {
      host.inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + origin);
    }
    long wait;
    long pauseSeen;
    synchronized (host) {
      long now = System.nanoTime();
      refuseLongPause(host, origin, now);
      long mine = Math.max(host.nextSlotNanos, now);
      host.nextSlotNanos = mine + Math.max(intervalMillis, 0) * 1_000_000;
      wait = (mine - now) / 1_000_000;
      pauseSeen = host.pausedUntilNanos;
    }
    // A pause the host asked for while this request waited its turn (an answer to the request
    // before it) holds this one too.
    while (wait > 0) {
      sleeper.accept(wait);
      synchronized (host) {
        if (host.pausedUntilNanos == pauseSeen) {
          break;
        }
        long now = System.nanoTime();
        refuseLongPause(host, origin, now);
        pauseSeen = host.pausedUntilNanos;
        wait = (pauseSeen - now) / 1_000_000;
      }
    }
    return host.inFlight::release;
  }

  /** Gives the slot back and refuses when the host's pause has longer to run than we sleep. */
  private void refuseLongPause(Host host, String origin, long now) throws FetchException {
    long paused = host.pausedUntilNanos - now;
    if (longestSleep != null && paused > longestSleep.toNanos()) {
      host.inFlight.release();
      throw FetchException.hostPaused(origin, Duration.ofNanos(paused));
    }
  }

  /** The longest pause {@link #enter} sleeps through; null: any. */
  public Duration longestSleep() {
    return longestSleep;
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
