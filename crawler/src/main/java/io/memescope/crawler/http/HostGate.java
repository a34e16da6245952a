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
 * (rate-limit headers). Origins are {@code scheme://host:port}. Thread-safe.
 */
public final class HostGate {
  private final int concurrency;
  private final Map<String, Host> hosts = new ConcurrentHashMap<>();

  public HostGate(int concurrency) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    this.concurrency = concurrency;
  }

  private static final class Host {
    final Semaphore inFlight;
    long nextSlotNanos = System.nanoTime();

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
   */
  public Permit enter(String origin, long intervalMillis, LongConsumer sleeper)
      throws InterruptedIOException {
    Host host = hosts.computeIfAbsent(origin, o -> new Host(concurrency));
    try {
      host.inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + origin);
    }
    long wait;
    synchronized (host) {
      long now = System.nanoTime();
      long mine = Math.max(host.nextSlotNanos, now);
      host.nextSlotNanos = mine + Math.max(intervalMillis, 0) * 1_000_000;
      wait = (mine - now) / 1_000_000;
    }
    if (wait > 0) {
      sleeper.accept(wait);
    }
    return host.inFlight::release;
  }

  /** No request to {@code origin} starts before {@code pause} from now. */
  public void pause(String origin, Duration pause) {
    Host host = hosts.computeIfAbsent(origin, o -> new Host(concurrency));
    synchronized (host) {
      host.nextSlotNanos = Math.max(host.nextSlotNanos, System.nanoTime() + pause.toNanos());
    }
  }
}
