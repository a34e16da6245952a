package io.memescope.crawler.http;

/** A page that could not be fetched; {@link #reason()} is a stable code for metrics and logs. */
public final class FetchException extends Exception {
  /** Why a fetch failed. */
  public enum Reason {
    BLOCKED_ADDRESS,
    ROBOTS_DISALLOWED,
    HTTP_STATUS,
    TOO_LARGE,
    TIMEOUT,
    NETWORK
  }

  private final Reason reason;

  public FetchException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
