package io.memescope.flink.ingest;

import java.util.List;

/**
 * A decoded image on its way to de-duplication: its identity ({@code imageId}: the first 128 bits
 * of the SHA-256 of its bytes, as 32 hex characters), its perceptual hash, and what is stored of
 * it. {@code bytes} travel on to the embedder and are dropped after it.
 */
public record Candidate(
    UrlInfo info,
    String imageId,
    String sha256,
    long phash,
    int width,
    int height,
    String format,
    long byteSize,
    byte[] bytes,
    List<Thumb> thumbs) {

  /** The same image without its original bytes. */
  public Candidate withoutBytes() {
    return new Candidate(
        info, imageId, sha256, phash, width, height, format, byteSize, null, thumbs);
  }
}
