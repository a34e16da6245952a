package io.memescope.flink.ingest;

import io.memescope.core.config.IngestSettings;
import io.memescope.core.fetch.FetchOutcome;
import io.memescope.core.fetch.FetchSettings;
import io.memescope.core.fetch.ImageFetcher;
import io.memescope.core.fetch.RejectReason;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Fetches image URLs with Flink's async I/O: many requests in flight per subtask, none blocking the
 * task thread. Every outcome is an element (the bytes, or a {@link Rejection}); a request that
 * outlives the operator's timeout is a {@code timeout} rejection, never a failed job.
 */
final class FetchFunction extends RichAsyncFunction<UrlInfo, Fetched> {
  private final IngestSettings settings;
  private transient ImageFetcher fetcher;

  /** Each element's fetch, until it completes: what {@link #timeout} cancels. */
  private transient java.util.Map<
          ResultFuture<Fetched>, java.util.concurrent.CompletableFuture<FetchOutcome>>
      inFlight;

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
    inFlight = new java.util.concurrent.ConcurrentHashMap<>();
  }

  @Override
  public void asyncInvoke(UrlInfo info, ResultFuture<Fetched> result) {
    java.util.concurrent.CompletableFuture<FetchOutcome> fetch = fetcher.fetch(info.url());
    inFlight.put(result, fetch);
    fetch.whenComplete(
        (outcome, error) -> {
          inFlight.remove(result);
          if (error != null) {
            result.complete(List.of(reject(info, RejectReason.NETWORK, error.toString())));
          } else if (outcome instanceof FetchOutcome.Fetched f) {
            result.complete(List.of(new Fetched(info, f.finalUrl(), f.bytes(), f.format(), null)));
          } else if (outcome instanceof FetchOutcome.Rejected r) {
            result.complete(List.of(reject(info, r.reason(), r.detail())));
          }
        });
  }

  @Override
  public void timeout(UrlInfo info, ResultFuture<Fetched> result) {
    // The request ends too (completing its future cancels the call), so that it no longer holds
    // one of its host's slots.
    result.complete(List.of(reject(info, RejectReason.TIMEOUT, "no answer in time")));
    var fetch = inFlight.remove(result);
    if (fetch != null) {
      fetch.cancel(false); // its own completion of result is then ignored: Flink takes the first
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
