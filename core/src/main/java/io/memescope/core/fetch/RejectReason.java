package io.memescope.core.fetch;

import io.memescope.core.embed.ImageDecodeException;
import java.util.Locale;
import java.util.Optional;

/**
 * Why a URL yielded no usable image. The {@link #code()} is what the rejects topic and the metrics
 * carry, so it is stable: rename a constant and the code must stay. The fetcher produces all but
 * {@link #DECODE_ERROR}, {@link #BOMB} and {@link #EMBED_ERROR}, which belong to the decoding and
 * embedding steps ({@link #of(ImageDecodeException.Reason)} translates its reasons), so that one
 * topic holds both.
 */
public enum RejectReason {
  /** No complete answer within the connect, read or call timeout. */
  TIMEOUT,
  /** More bytes than the configured cap, declared or sent. */
  TOO_LARGE,
  /** Content that is no image at all: an HTML page, an XML error, a video, text. */
  NOT_AN_IMAGE,
  /** An image in a format Memescope refuses or cannot decode: SVG, TIFF, AVIF, HEIF, JPEG XL. */
  UNSUPPORTED_FORMAT,
  /** Image bytes the decoder could not read (set by the decoding step). */
  DECODE_ERROR,
  /** A decompression bomb: more pixels than the decoder allows (set by the decoding step). */
  BOMB,
  /**
   * The model gave the image no usable embedding: a value that is not a finite number (an fp16
   * overflow on a GPU, damaged weights). Set by the embedding step; such a vector stopped the index
   * sink's commits for good until 2026-12-07.
   */
  EMBED_ERROR,
  /** The host is, or a redirect led to, a loopback, private, link-local or metadata address. */
  BLOCKED_ADDRESS,
  /** A final answer other than 2xx; the detail names the status code. */
  HTTP_STATUS,
  /** A redirect back to a URL already visited, or more redirects than allowed. */
  REDIRECT_LOOP,
  /** Any other transport failure: unknown host, refused or reset connection, TLS, I/O errors. */
  NETWORK,
  /** A {@code file:} URL outside the allowed roots, or not a regular file. */
  FILE_NOT_ALLOWED,
  /** A URL that cannot be parsed, or whose scheme is neither http, https nor file. */
  BAD_URL,
  /** A successful answer with no bytes. */
  EMPTY,
  /**
   * The answer's {@code X-Robots-Tag} header, for all crawlers or for ours, holds a directive in
   * {@link FetchSettings#refusedRobotsDirectives()}, such as {@code noindex} or {@code noai}: the
   * site asks that the image not be indexed.
   */
  ROBOTS_TAG;

  /** The stable lower-case code, e.g. {@code too_large}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The reason with the given {@link #code()}, for readers of the rejects topic. */
  public static Optional<RejectReason> fromCode(String code) {
    for (RejectReason reason : values()) {
      if (reason.code().equals(code)) {
        return Optional.of(reason);
      }
    }
    return Optional.empty();
  }

  /** The reject reason for a failure of {@link io.memescope.core.embed.ImageDecoder}. */
  public static RejectReason of(ImageDecodeException.Reason reason) {
    return switch (reason) {
      case EMPTY -> EMPTY;
      case NOT_AN_IMAGE -> NOT_AN_IMAGE;
      case UNSUPPORTED_FORMAT -> UNSUPPORTED_FORMAT;
      case TOO_MANY_PIXELS -> BOMB;
      case CORRUPT -> DECODE_ERROR;
    };
  }
}
