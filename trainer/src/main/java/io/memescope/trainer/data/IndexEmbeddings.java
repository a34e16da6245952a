package io.memescope.trainer.data;

import io.memescope.core.schema.MilvusCollection;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.response.QueryResp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Image embeddings from the index (Milvus): by id, or a uniform random sample. */
public final class IndexEmbeddings {
  private static final int CHUNK = 500;
  private static final int SLICE_LIMIT = 16_384;

  private final MilvusClientV2 milvus;
  private final String collection;

  public IndexEmbeddings(MilvusClientV2 milvus, String collection) {
    this.milvus = milvus;
    this.collection = collection;
  }

  /** The embeddings of {@code ids} that the index has (ids it lacks are simply absent). */
  public Map<String, float[]> fetch(Collection<String> ids) {
    List<String> all = new ArrayList<>(ids);
    Map<String, float[]> out = new LinkedHashMap<>();
    for (int from = 0; from < all.size(); from += CHUNK) {
      StringBuilder in = new StringBuilder("[");
      for (String id : all.subList(from, Math.min(all.size(), from + CHUNK))) {
        if (!id.matches("[0-9a-f]{32}")) {
          continue; // never an id; and never a way into the filter expression
        }
        in.append(in.length() > 1 ? "," : "").append('"').append(id).append('"');
      }
      in.append(']');
      if (in.length() > 2) {
        read(MilvusCollection.ID + " in " + in, CHUNK, out);
      }
    }
    return out;
  }

  /**
   * About {@code n} images chosen uniformly at random: image ids are content hashes, so the images
   * whose ids start with randomly chosen prefixes are a uniform sample. Prefixes are long enough
   * that each holds about {@link #PER_PREFIX} images, so that a prefix is read whole (a query's
   * first rows, in Milvus's order, would not be random); only the last one may be cut short.
   */
  public Map<String, float[]> sample(int n, long seed) {
    return sample(n, seed, "the sample size", Runtime.getRuntime().maxMemory());
  }

  /**
   * As {@link #sample(int, long)}, refused with an error naming {@code setting} when the sample
   * would take more than half of {@code maxMemory}: measured from the first vectors read, before
   * the rest are (an OutOfMemoryError otherwise, after a whole training run for the quantile
   * sample).
   */
  public Map<String, float[]> sample(int n, long seed, String setting, long maxMemory) {
    long total = size();
    int digits = prefixDigits(total);
    Random random = new Random(seed);
    Map<String, float[]> out = new LinkedHashMap<>();
    java.util.Set<Integer> tried = new java.util.HashSet<>();
    int prefixes = 1 << (4 * digits);
    while (out.size() < n && tried.size() < prefixes) {
      int p = random.nextInt(prefixes);
      if (!tried.add(p)) {
        continue;
      }
      String prefix = String.format("%0" + digits + "x", p);
      boolean first = out.isEmpty();
      read(
          MilvusCollection.ID + " like \"" + prefix + "%\"",
          Math.min(SLICE_LIMIT, n - out.size()),
          out);
      if (first && !out.isEmpty()) {
        checkMemory(Math.min(n, total), out.values().iterator().next().length, setting, maxMemory);
      }
    }
    return out;
  }

  /** How many images the index holds (Milvus's count, which may include deleted ones). */
  public long size() {
    return milvus
        .getCollectionStats(
            io.milvus.v2.service.collection.request.GetCollectionStatsReq.builder()
                .collectionName(collection)
                .build())
        .getNumOfEntities();
  }

  /** Bytes an image of the sample holds on the heap beyond its vector: id, map entry, headers. */
  static final int PER_IMAGE = 160;

  /** Refuses a sample of {@code rows} vectors of {@code dim} that would take over half the heap. */
  public static void checkMemory(long rows, int dim, String setting, long maxMemory) {
    long need = rows * (4L * dim + PER_IMAGE);
    if (need > maxMemory / 2) {
      throw new IllegalStateException(
          String.format(
              "%s = %d images of %d-dimensional embeddings needs about %d MB, and the trainer's"
                  + " heap is %d MB: lower %s (or give the trainer more heap, e.g."
                  + " JAVA_TOOL_OPTIONS=-Xmx%dg)",
              setting,
              rows,
              dim,
              need >> 20,
              maxMemory >> 20,
              setting,
              Math.max(1, (2 * need >> 30) + 1)));
    }
  }

  /** Images a prefix should hold at most, so that it is read whole. */
  static final int PER_PREFIX = 2_000;

  /** Hex digits of the prefixes for a collection of {@code total} images (2 to 6). */
  static int prefixDigits(long total) {
    int digits = 2;
    while (digits < 6 && total / (1L << (4 * digits)) > PER_PREFIX) {
      digits++;
    }
    return digits;
  }

  private void read(String filter, int limit, Map<String, float[]> out) {
    QueryResp resp =
        milvus.query(
            QueryReq.builder()
                .collectionName(collection)
                .filter(filter)
                .outputFields(List.of(MilvusCollection.ID, MilvusCollection.VECTOR))
                .limit(limit)
                .build());
    for (QueryResp.QueryResult r : resp.getQueryResults()) {
      Map<String, Object> e = r.getEntity();
      Object v = e.get(MilvusCollection.VECTOR);
      if (v instanceof List<?> list) {
        float[] f = new float[list.size()];
        for (int i = 0; i < f.length; i++) {
          f[i] = ((Number) list.get(i)).floatValue();
        }
        out.put((String) e.get(MilvusCollection.ID), f);
      }
    }
  }
}
