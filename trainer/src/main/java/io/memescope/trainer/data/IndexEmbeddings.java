package io.memescope.trainer.data;

import io.memescope.core.schema.MilvusCollection;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.response.QueryResp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Image embeddings from the index (Milvus): by id, or a uniform random sample. */
public final class IndexEmbeddings {
  private static final String HEX = "0123456789abcdef";
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
   * whose ids start with randomly chosen two-digit prefixes are a uniform sample.
   */
  public Map<String, float[]> sample(int n, long seed) {
    List<String> prefixes = new ArrayList<>();
    for (char a : HEX.toCharArray()) {
      for (char b : HEX.toCharArray()) {
        prefixes.add("" + a + b);
      }
    }
    Collections.shuffle(prefixes, new Random(seed));
    Map<String, float[]> out = new LinkedHashMap<>();
    for (String p : prefixes) {
      if (out.size() >= n) {
        break;
      }
      read(
          MilvusCollection.ID + " like \"" + p + "%\"", Math.min(SLICE_LIMIT, n - out.size()), out);
    }
    return out;
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
