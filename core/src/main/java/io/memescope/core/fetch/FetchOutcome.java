package io.memescope.core.fetch;

import java.util.Arrays;
import java.util.Objects;

/**
 * What fetching one URL gave: the image's bytes, the reason there are none, or (for a caller that
 * counts the bodies it holds) that it is to be asked for again. A sealed type rather than an
 * exception so that the Flink job can route each result with a switch and failures never escape an
 * async operator as errors that would restart the job.
 */
public sealed interface FetchOutcome
    permits FetchOutcome.Fetched, FetchOutcome.Rejected, FetchOutcome.Deferred {

  /** The URL as asked for. */
  String url();

  /**
   * The bytes of an image in a format Memescope decodes. Not yet decoded: a truncated or corrupt
   * image is still {@code Fetched}; decoding decides.
   *
   * @param url the URL as asked for
   * @param finalUrl where the bytes came from after redirects; for a file, its real path as a URL
   * @param bytes the body, not copied: do not modify it
   * @param format what the magic bytes say: {@code jpeg}, {@code png}, {@code gif}, {@code webp} or
   *     {@code bmp}
   * @param contentType the Content-Type the server declared, for information; null if none (and for
   *     files)
   */
  record Fetched(String url, String finalUrl, byte[] bytes, String format, String contentType)
      implements FetchOutcome {
    public Fetched {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(finalUrl, "finalUrl");
      Objects.requireNonNull(bytes, "bytes");
      Objects.requireNonNull(format, "format");
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Fetched f
          && url.equals(f.url)
          && finalUrl.equals(f.finalUrl)
          && Arrays.equals(bytes, f.bytes)
          && format.equals(f.format)
          && Objects.equals(contentType, f.contentType);
    }

    @Override
    public int hashCode() {
      return Objects.hash(url, finalUrl, Arrays.hashCode(bytes), format, contentType);
    }

    @Override
    public String toString() {
      return "Fetched["
          + url
          + (finalUrl.equals(url) ? "" : " -> " + finalUrl)
          + ", "
          + format
          + ", "
          + bytes.length
          + " bytes, Content-Type "
          + contentType
          + "]";
    }
  }

  /**
   * No image.
   *
   * @param url the URL as asked for
   * @param reason the stable reason
   * @param detail for people: what happened, with the status code, limit or address involved
   */
  record Rejected(String url, RejectReason reason, String detail) implements FetchOutcome {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * Not read, for now: the answer declared a body the caller's {@link ImageFetcher.BodyRoom} had no
   * room for. Nothing was read past the headers and the connection was dropped; fetch the URL again
   * once there is room for {@code declared} bytes.
   *
   * @param url the URL as asked for
   * @param declared the body's size as the answer declared it (its Content-Length, or a file's
   *     size); -1 where it declared none
   */
  record Deferred(String url, long declared) implements FetchOutcome {}
}
