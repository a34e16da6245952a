package io.memescope.core.model;

/** A model directory that is missing a file or has an inconsistent one; the message names both. */
public final class ModelFormatException extends RuntimeException {
  public ModelFormatException(String message) {
    super(message);
  }
}
