package io.memescope.crawler.publish;

/** Records that Kafka did not acknowledge; nothing after them was treated as published. */
public final class PublishException extends Exception {
  public PublishException(String message, Throwable cause) {
    super(message, cause);
  }
}
