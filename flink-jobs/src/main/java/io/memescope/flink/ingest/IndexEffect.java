package io.memescope.flink.ingest;

/**
 * One change to the index: a new image ({@code kind} {@code new}, with its {@code image} and {@code
 * vector}), or another URL for an image already there ({@code exact_duplicate} or {@code
 * near_duplicate}, with the Hamming {@code distance} of the perceptual hashes). Every effect is an
 * idempotent upsert by {@code imageId}. ({@code rejected} carries a {@link Rejection} out of the
 * embedder and never reaches the index.)
 */
public record IndexEffect(
    String kind,
    String imageId,
    UrlInfo info,
    Candidate image,
    float[] vector,
    int distance,
    Rejection rejection,
    Quality quality) {

  /**
   * A new image's scores under a quality model version: per dimension its percentile in the
   * version's score distribution, and their mean.
   */
  public record Quality(String version, float overall, java.util.Map<String, Float> scores) {}

  public static final String NEW = "new";
  public static final String EXACT = "exact_duplicate";
  public static final String NEAR = "near_duplicate";
  public static final String REJECTED = "rejected";

  public static IndexEffect created(Candidate image, float[] vector) {
    return new IndexEffect(
        NEW, image.imageId(), image.info(), image.withoutBytes(), vector, 0, null, null);
  }

  public static IndexEffect merged(String kind, String imageId, UrlInfo info, int distance) {
    return new IndexEffect(kind, imageId, info, null, null, distance, null, null);
  }

  /** Not an effect: an image the embedder could not read, on its way to the rejects. */
  public static IndexEffect rejected(Rejection rejection) {
    return new IndexEffect(REJECTED, null, null, null, null, 0, rejection, null);
  }

  /** This new image with its quality scores. */
  public IndexEffect scored(Quality q) {
    return new IndexEffect(kind, imageId, info, image, vector, distance, rejection, q);
  }
}
