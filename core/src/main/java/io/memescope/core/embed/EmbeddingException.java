package io.memescope.core.embed;

/** Inference that failed, or a device that cannot be used. */
public final class EmbeddingException extends RuntimeException {
  public EmbeddingException(String message, Throwable cause) {
    super(message, cause);
  }
}
