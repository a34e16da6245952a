package io.memescope.flink.ingest;

import io.memescope.core.config.IngestSettings;
import io.memescope.core.fetch.FetchOutcome;
import io.memescope.core.fetch.FetchSettings;
import io.memescope.core.fetch.ImageFetcher;
import io.memescope.core.fetch.RejectReason;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Fetches image URLs with Flink's async I/O: many requests in flight per subtask, none blocking the
 * task thread. Every outcome is an element (the bytes, or a {@link Rejection}); a request that
 * outlives its backstop ({@link #asyncTimeout}, from its start) is a {@code timeout} rejection,
 * never a failed job. A URL starts only while the bodies this subtask holds fit {@code
 * ingest.fetch.held-bytes} ({@link HeldBodies}); {@link Analyze}, chained behind, gives them back.
 */
final class FetchFunction extends RichAsyncFunction<UrlInfo, Fetched> {
  private final IngestSettings settings;
  private final java.time.Duration backstop;
  private transient ImageFetcher fetcher;
  private transient java.util.concurrent.ScheduledExecutorService expiries;
  private transient HeldBodies held;

  FetchFunction(IngestSettings settings) {
    this(settings, asyncTimeout(settings));
  }

  /**
   * @param backstop how long after a request starts it is given up as {@code timeout} if the
   *     fetcher has not ended it (it always should, within its own timeout)
   */
  FetchFunction(IngestSettings settings, java.time.Duration backstop) {
    this.settings = settings;
    this.backstop = backstop;
  }

  static FetchSettings fetchSettings(IngestSettings s) {
    return FetchSettings.defaults()
        .withTimeouts(s.connectTimeout(), s.readTimeout(), s.fetchTimeout())
        .withMaxBytes(s.maxBytes())
        .withMaxRedirects(s.maxRedirects())
        .withAllowedPrivateHosts(s.allowPrivateHosts())
        .withAllowedFileRoots(s.fileRootPaths())
        .withRefusedRobotsDirectives(s.refusedRobotsDirectives())
        .withConcurrency(s.fetchConcurrency(), perHost(s));
  }

  private static int perHost(IngestSettings s) {
    return Math.max(2, s.fetchConcurrency() / 4);
  }

  /**
   * The backstop of one request, from its start ({@link #expire}): the fetcher bounds each request
   * itself, but its clock starts when the HTTP call does, and a request may first wait behind
   * others to its host (at most {@code perHost} at once). With every slot of the operator taken by
   * one slow host, the last waits for ⌈capacity / perHost⌉ − 1 rounds of requests that each end
   * within the fetch timeout (and the fetcher's grace second) before its own. A timeout of the
   * fetch timeout alone rejected such URLs as {@code timeout} before they were ever asked for, and
   * they were then seen URLs, dropped when crawled again. (It counted from when the URL entered the
   * operator, Flink's timeout, until URLs could wait there for memory first.)
   */
  static java.time.Duration asyncTimeout(IngestSettings s) {
    int rounds = (s.fetchConcurrency() + perHost(s) - 1) / perHost(s);
    return s.fetchTimeout().plusSeconds(1).multipliedBy(rounds).plusSeconds(5);
  }

  @Override
  public void open(OpenContext context) {
    fetcher = new ImageFetcher(fetchSettings(settings));
    held = new HeldBodies(settings.fetchHeldBytes());
    held.bindToThisThread();
    var timer =
        new java.util.concurrent.ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "fetch-backstop");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    expiries = timer;
    // Requests slow to answer stop keeping room for their bodies a second after they start.
    expiries.scheduleWithFixedDelay(
        () -> {
          try {
            held.recheck();
          } catch (Throwable e) {
            // a start fails into its own element; nothing may end this schedule silently
          }
        },
        250,
        250,
        java.util.concurrent.TimeUnit.MILLISECONDS);
    if (context != null) { // null where a unit test opens the function alone
      MetricGroup metrics = getRuntimeContext().getMetricGroup();
      metrics.gauge("fetch_held_bytes", (Gauge<Long>) held::held);
      metrics.gauge("fetch_held_bytes_peak", (Gauge<Long>) held::peak);
      metrics.gauge("fetch_waiting_for_memory", (Gauge<Integer>) held::waiting);
      metrics.gauge("fetch_deferred_for_memory", (Gauge<Long>) held::deferrals);
    }
  }

  /** One URL: waiting for room among the held bodies, then its request. */
  private final class Element extends HeldBodies.Ticket {
    final UrlInfo info;
    final ResultFuture<Fetched> result;

    /** Whoever completes the result first: the request's end, or its backstop. */
    final AtomicBoolean done = new AtomicBoolean();

    volatile CompletableFuture<FetchOutcome> fetch;

    /** This request's backstop ({@link #expire}), and which start it belongs to. */
    volatile java.util.concurrent.ScheduledFuture<?> expiry;

    volatile int starts;

    Element(UrlInfo info, ResultFuture<Fetched> result) {
      this.info = info;
      this.result = result;
    }

    @Override
    void start() {
      try {
        int start = ++starts; // one thread at a time: a start follows its admission or deferral
        expiry =
            expiries.schedule(
                () -> expire(this, start),
                backstop.toNanos(),
                java.util.concurrent.TimeUnit.NANOSECONDS);
        CompletableFuture<FetchOutcome> request =
            fetcher.fetch(info.url(), declared -> held.declared(this, declared));
        fetch = request;
        if (done.get()) {
          request.cancel(false); // timed out as it started
        }
        request.whenComplete(this::end);
      } catch (Throwable e) { // an Error too: never left started, counted and uncompleted
        end(null, e);
      }
    }

    private void cancelExpiry() {
      java.util.concurrent.ScheduledFuture<?> e = expiry;
      if (e != null) {
        e.cancel(false);
      }
    }

    private void end(FetchOutcome outcome, Throwable error) {
      if (error == null && outcome instanceof FetchOutcome.Deferred d) {
        // No room for its body: asked for again once there is (unless it expired meanwhile), with
        // a backstop of its own from that start.
        cancelExpiry();
        held.deferred(this, d.declared());
        return;
      }
      if (!done.compareAndSet(false, true)) {
        return; // the backstop came first and ended the ticket
      }
      cancelExpiry();
      if (error == null && outcome instanceof FetchOutcome.Fetched f) {
        held.read(this, f.bytes().length); // until Analyze has decoded it
        result.complete(List.of(new Fetched(info, f.finalUrl(), f.bytes(), f.format(), null)));
        return;
      }
      held.ended(this);
      if (error != null) {
        result.complete(List.of(reject(info, RejectReason.NETWORK, error.toString())));
      } else if (outcome instanceof FetchOutcome.Rejected r) {
        result.complete(List.of(reject(info, r.reason(), r.detail())));
      }
    }
  }

  @Override
  public void asyncInvoke(UrlInfo info, ResultFuture<Fetched> result) {
    held.admit(new Element(info, result));
  }

  /**
   * Flink's timeout, counted from when the URL entered the operator, does nothing: a URL may wait
   * here for memory first ({@link HeldBodies}), and rejected as {@code timeout} shortly after it
   * started it would then be a seen URL, dropped when crawled again. Each request has a backstop
   * counted from its own start instead ({@link #expire}).
   */
  @Override
  public void timeout(UrlInfo info, ResultFuture<Fetched> result) {}

  /**
   * A request that has run {@code backstop} since its start: ended as {@code timeout}, its call
   * cancelled so that it no longer holds a slot of its host. The fetcher's own timeout ends every
   * request well before; the backstop is for a fetch that would never end.
   */
  private void expire(Element element, int start) {
    if (element.starts != start || !held.started(element)) {
      return; // deferred (and waiting, or started again) since
    }
    if (!element.done.compareAndSet(false, true)) {
      return;
    }
    held.ended(element);
    element.result.complete(
        List.of(reject(element.info, RejectReason.TIMEOUT, "no answer in time")));
    CompletableFuture<FetchOutcome> fetch = element.fetch;
    if (fetch != null) {
      fetch.cancel(false);
    }
  }

  private static Fetched reject(UrlInfo info, RejectReason reason, String detail) {
    return new Fetched(info, null, null, null, Rejection.of(info, "fetch", reason.code(), detail));
  }

  @Override
  public void close() throws Exception {
    if (expiries != null) {
      expiries.shutdownNow();
    }
    if (held != null) {
      held.unbindFromThisThread();
    }
    if (fetcher != null) {
      fetcher.close();
    }
  }
}
