package io.memescope.crawler.http;

/** A page that could not be fetched; {@link #reason()} is a stable code for metrics and logs. */
public final class FetchException extends Exception {
  /** Why a fetch failed. */
  public enum Reason {
    BLOCKED_ADDRESS,
    ROBOTS_DISALLOWED,
    HTTP_STATUS,
    TOO_LARGE,
    /** An answer of a type the caller does not read (an image where a page was expected). */
    UNWANTED_TYPE,
    TIMEOUT,
    NETWORK,
    /**
     * Not a failure: the request would wait longer than a crawler thread should sleep (a pause the
     * host asked for, a long Crawl-delay, a queue of requests to it), so it was not sent; {@link
     * #retryAfter()} says when it may be.
     */
    HOST_PAUSED
  }

  private final Reason reason;
  private final java.time.Duration retryAfter;

  public FetchException(Reason reason, String message, Throwable cause) {
    this(reason, message, cause, null);
  }

  private FetchException(
      Reason reason, String message, Throwable cause, java.time.Duration retryAfter) {
    super(message, cause);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }

  /** A request not sent because its turn to {@code origin} is {@code retryAfter} away. */
  public static FetchException hostPaused(String origin, java.time.Duration retryAfter) {
    return new FetchException(
        Reason.HOST_PAUSED,
        "the next request to " + origin + " may go in " + retryAfter.toSeconds() + " s",
        null,
        retryAfter);
  }

  public Reason reason() {
    return reason;
  }

  /** For {@link Reason#HOST_PAUSED}: how long until the host may be asked again; else null. */
  public java.time.Duration retryAfter() {
    return retryAfter;
  }
}
