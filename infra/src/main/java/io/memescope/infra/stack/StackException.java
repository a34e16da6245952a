package io.memescope.infra.stack;

/**
 * A local-stack failure with a one-line diagnosis that names the service and, where there is one,
 * its log file.
 */
public final class StackException extends RuntimeException {
  public StackException(String message) {
    super(message);
  }

  public StackException(String message, Throwable cause) {
    super(message, cause);
  }
}
