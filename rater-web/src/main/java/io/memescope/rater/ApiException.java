package io.memescope.rater;

/**
 * A request the rater app refuses or cannot answer: the HTTP status, a message for people, the
 * request field to blame (if one is) and, for 429 and 503, seconds to wait before retrying.
 */
final class ApiException extends RuntimeException {
  static final int RETRY_SECONDS = 5;
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

  static ApiException status(int status, String message) {
    return new ApiException(status, message, null, 0, null);
  }

  static ApiException unavailable(Throwable cause) {
    return new ApiException(
        503, "Cassandra is unavailable; retry in a few seconds", null, RETRY_SECONDS, cause);
  }

  int status() {
    return status;
  }

  String field() {
    return field;
  }

  int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
