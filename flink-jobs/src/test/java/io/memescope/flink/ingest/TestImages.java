package io.memescope.flink.ingest;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.UrlHash;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Whole images written to both stores the way the ingest job writes them, for other packages. */
public final class TestImages {
  private TestImages() {}

  /**
   * Writes {@code n} new images with random {@code dim}-float vectors through the job's index
   * writer; returns their ids.
   */
  public static List<String> write(MemescopeConfig config, int n, int dim, Random random)
      throws Exception {
    List<IndexEffect> effects = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] id = new byte[16];
      random.nextBytes(id);
      String imageId = HexFormat.of().formatHex(id);
      String url = "http://example.test/" + imageId + ".png";
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
          new Candidate(
              info,
              imageId,
              imageId + imageId,
              i,
              10,
              10,
              "png",
              100,
              null,
              List.of(new Thumb("small", "jpeg", 8, 8, new byte[64])));
      effects.add(IndexEffect.created(c, vector));
      ids.add(imageId);
    }
    try (IndexWriter writer = new IndexWriter(config)) {
      writer.write(effects);
    }
    return ids;
  }
}
