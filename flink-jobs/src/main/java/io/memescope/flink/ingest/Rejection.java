package io.memescope.flink.ingest;

import io.memescope.core.fetch.RejectReason;

/**
 * A URL the job gave up on, as published to {@code memescope.ingest.rejects} (JSON, keyed by the
 * URL hash).
 *
 * @param stage where it failed: {@code parse}, {@code fetch}, {@code decode}, {@code dedup}, {@code
 *     embed}, {@code index}
 * @param reason a stable code: {@link RejectReason#code()}, {@code bad_record} (stage {@code
 *     parse}: not a crawl record) or {@code taken_down} (stage {@code dedup}: the content, or a
 *     near copy of it, was taken down through the serving API; stage {@code index}: the image was
 *     taken down after the de-duplicator had decided on this URL, before it was written)
 */
public record Rejection(
    int v,
    String url,
    String urlHash,
    String source,
    String stage,
    String reason,
    String detail,
    long at) {

  public static final int VERSION = 1;

  public static Rejection of(UrlInfo info, String stage, String reason, String detail) {
    return new Rejection(
        VERSION,
        info.url(),
        info.urlHash(),
        info.source(),
        stage,
        reason,
        detail,
        System.currentTimeMillis());
  }
}
