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
        .withConcurrency(s.fetchConcurrency(), Math.max(2, s.fetchConcurrency() / 4));
  }

  @Override
  public void open(OpenContext context) {
    fetcher = new ImageFetcher(fetchSettings(settings));
  }

  @Override
  public void asyncInvoke(UrlInfo info, ResultFuture<Fetched> result) {
    fetcher
        .fetch(info.url())
        .whenComplete(
            (outcome, error) -> {
              if (error != null) {
                result.complete(List.of(reject(info, RejectReason.NETWORK, error.toString())));
              } else if (outcome instanceof FetchOutcome.Fetched f) {
                result.complete(
                    List.of(new Fetched(info, f.finalUrl(), f.bytes(), f.format(), null)));
              } else if (outcome instanceof FetchOutcome.Rejected r) {
                result.complete(List.of(reject(info, r.reason(), r.detail())));
              }
            });
  }

  @Override
  public void timeout(UrlInfo info, ResultFuture<Fetched> result) {
    result.complete(List.of(reject(info, RejectReason.TIMEOUT, "no answer in time")));
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
