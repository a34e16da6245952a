package io.memescope.core.embed;

/** Bytes that are not an image Memescope can use; {@link #reason()} is a stable code. */
public final class ImageDecodeException extends Exception {
  /** Why an image was refused; these codes appear in rejects and metrics. */
  public enum Reason {
    EMPTY,
    NOT_AN_IMAGE,
    UNSUPPORTED_FORMAT,
    TOO_MANY_PIXELS,
    CORRUPT
  }

  private final Reason reason;

  public ImageDecodeException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public ImageDecodeException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
