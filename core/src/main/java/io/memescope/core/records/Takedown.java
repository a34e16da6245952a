package io.memescope.core.records;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;

/**
 * An image taken down through the serving API, as published to {@code memescope.takedowns} (a
 * compacted topic; key: {@link #sha256()}). The ingest job refuses content with this SHA-256, and
 * content whose perceptual hash is within its near-duplicate distance of {@link #phash()}.
 * Versioned JSON like {@link CrawlRecord}.
 *
 * @param imageId the id the image had in the index
 * @param sha256 the SHA-256 of its original bytes, hex
 * @param phash its 64-bit perceptual hash
 * @param reason why, as the admin gave it (may be empty)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Takedown(
    @JsonProperty("v") int version,
    String imageId,
    String sha256,
    long phash,
    String reason,
    Instant at) {

  public static final int VERSION = 1;

  public Takedown {
    Objects.requireNonNull(imageId, "imageId");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(at, "at");
    reason = reason == null ? "" : reason;
  }

  public static Takedown of(String imageId, String sha256, long phash, String reason, Instant at) {
    return new Takedown(VERSION, imageId, sha256, phash, reason, at);
  }
}
