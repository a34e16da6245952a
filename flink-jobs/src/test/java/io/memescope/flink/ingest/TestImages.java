package io.memescope.flink.ingest;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.UrlHash;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** New images as the ingest job's index writer gets them, for tests here and in other packages. */
public final class TestImages {
  private TestImages() {}

  /**
   * {@code n} new images with random ids and {@code dim}-float Gaussian vectors, each found at its
   * own URL under {@code urlPrefix} and carrying {@code thumbs}.
   */
  public static List<IndexEffect> created(
      String urlPrefix, int n, int dim, List<Thumb> thumbs, Random random) {
    List<IndexEffect> effects = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] id = new byte[16];
      random.nextBytes(id);
      String imageId = HexFormat.of().formatHex(id);
      String url = urlPrefix + i + ".png";
      // The URL's own hash, as in the job: the URL row is then another partition than the image's
      // rows, and Cassandra checks the size of a batch that spans partitions (50 KiB by default).
      UrlInfo info =
          new UrlInfo(
              url,
              UrlHash.of(url),
              UrlHash.of(url),
              "it",
              "title " + i,
              null,
              null,
              1_700_000_000_000L,
              Map.of());
      float[] vector = new float[dim];
      for (int d = 0; d < dim; d++) {
        vector[d] = (float) random.nextGaussian();
      }
      Candidate c =
          new Candidate(info, imageId, imageId + imageId, i, 10, 10, "png", 100, null, thumbs);
      effects.add(IndexEffect.created(c, vector));
    }
    return effects;
  }

  /** Writes {@code n} new images to both stores through the job's index writer; their ids. */
  public static List<String> write(MemescopeConfig config, int n, int dim, Random random)
      throws Exception {
    List<IndexEffect> effects =
        created(
            "http://example.test/" + random.nextLong() + "/",
            n,
            dim,
            List.of(new Thumb("small", "jpeg", 8, 8, new byte[64])),
            random);
    try (IndexWriter writer = new IndexWriter(config)) {
      writer.write(effects);
    }
    return effects.stream().map(IndexEffect::imageId).toList();
  }
}
