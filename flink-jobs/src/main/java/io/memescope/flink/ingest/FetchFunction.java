package io.memescope.flink.ingest;

import io.memescope.core.config.IngestSettings;
import io.memescope.core.fetch.FetchOutcome;
import io.memescope.core.fetch.FetchSettings;
import io.memescope.core.fetch.ImageFetcher;
import io.memescope.core.fetch.RejectReason;
import java.util.List;
import java.util.Map;
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
 * outlives the operator's timeout is a {@code timeout} rejection, never a failed job. A URL starts
 * only while the bodies this subtask holds fit {@code ingest.fetch.held-bytes} ({@link
 * HeldBodies}); {@link Analyze}, chained behind, gives them back.
 */
final class FetchFunction extends RichAsyncFunction<UrlInfo, Fetched> {
  private final IngestSettings settings;
  private transient ImageFetcher fetcher;
  private transient HeldBodies held;

  /** Each element until it completes: what {@link #timeout} finds by its result. */
  private transient Map<ResultFuture<Fetched>, Element> elements;

  FetchFunction(IngestSettings settings) {
    this.settings = settings;
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
   * Flink's timeout of one URL, a backstop only: the fetcher bounds each request itself, but its
   * clock starts when the request does, and a URL may first wait behind others to its host (at most
   * {@code perHost} at once). With every slot of the operator taken by one slow host, the last URL
   * waits for ⌈capacity / perHost⌉ − 1 rounds of requests that each end within the fetch timeout
   * (and the fetcher's grace second) before its own. A timeout counted from {@code asyncInvoke} of
   * the fetch timeout alone rejected such URLs as {@code timeout} before they were ever asked for,
   * and they were then seen URLs, dropped when crawled again.
   */
  static java.time.Duration asyncTimeout(IngestSettings s) {
    int rounds = (s.fetchConcurrency() + perHost(s) - 1) / perHost(s);
    return s.fetchTimeout().plusSeconds(1).multipliedBy(rounds).plusSeconds(5);
  }

  @Override
  public void open(OpenContext context) {
    fetcher = new ImageFetcher(fetchSettings(settings));
    elements = new java.util.concurrent.ConcurrentHashMap<>();
    held = new HeldBodies(settings.fetchHeldBytes());
    held.bindToThisThread();
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

    /** Whoever completes the result first: the request's end, or Flink's timeout. */
    final AtomicBoolean done = new AtomicBoolean();

    volatile CompletableFuture<FetchOutcome> fetch;

    Element(UrlInfo info, ResultFuture<Fetched> result) {
      this.info = info;
      this.result = result;
    }

    @Override
    void start() {
      try {
        CompletableFuture<FetchOutcome> request =
            fetcher.fetch(info.url(), declared -> held.declared(this, declared));
        fetch = request;
        if (done.get()) {
          request.cancel(false); // timed out as it started
        }
        request.whenComplete(this::end);
      } catch (RuntimeException e) {
        end(null, e); // never left started and uncompleted
      }
    }

    private void end(FetchOutcome outcome, Throwable error) {
      if (error == null && outcome instanceof FetchOutcome.Deferred d) {
        // No room for its body: asked for again once there is (unless it timed out meanwhile).
        held.deferred(this, d.declared());
        return;
      }
      if (!done.compareAndSet(false, true)) {
        return; // Flink's timeout came first and ended the ticket
      }
      elements.remove(result);
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
    Element element = new Element(info, result);
    elements.put(result, element);
    held.admit(element);
  }

  @Override
  public void timeout(UrlInfo info, ResultFuture<Fetched> result) {
    Element element = elements.get(result);
    if (element == null) {
      return; // ended as the timer fired
    }
    if (!held.started(element)) {
      // Still waiting for the bodies before it to be decoded: it has not been asked for, and is
      // not rejected. Its request, once started, ends within the fetcher's own timeout.
      return;
    }
    if (!element.done.compareAndSet(false, true)) {
      return;
    }
    elements.remove(result);
    held.ended(element);
    result.complete(List.of(reject(info, RejectReason.TIMEOUT, "no answer in time")));
    // The request ends too (cancelling its future cancels the call), so that it no longer holds
    // one of its host's slots.
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
    if (fetcher != null) {
      fetcher.close();
    }
  }
}
