package io.memescope.serving;

/**
 * A request the API refuses or cannot answer, with the HTTP status, a message for people, the
 * request field to blame (if one is) and, for 429 and 503, seconds to wait before retrying.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String field;
  private final int retryAfterSeconds;

  ApiException(int status, String message, String field, int retryAfterSeconds, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.field = field;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  static ApiException badRequest(String field, String message) {
    return new ApiException(400, field + ": " + message, field, 0, null);
  }

  static ApiException tooLarge(String field, String message) {
    return new ApiException(413, field + ": " + message, field, 0, null);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, message, null, 0, null);
  }

  static ApiException unavailable(String store, Throwable cause) {
    return new ApiException(
        503, store + " is unavailable; retry in a few seconds", null, RETRY_SECONDS, cause);
  }

  static final int RETRY_SECONDS = 5;

  public int status() {
    return status;
  }

  public String field() {
    return field;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
