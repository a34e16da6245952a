package io.memescope.core.schema;

/** A schema that cannot be applied, or an existing one that contradicts what is configured. */
public final class SchemaException extends RuntimeException {
  public SchemaException(String message) {
    super(message);
  }

  public SchemaException(String message, Throwable cause) {
    super(message, cause);
  }
}
