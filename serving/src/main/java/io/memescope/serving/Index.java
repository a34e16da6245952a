package io.memescope.serving;

import io.memescope.core.schema.MilvusCollection;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.GetReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.data.BaseVector;
import io.milvus.v2.service.vector.request.data.FloatVec;
import io.milvus.v2.service.vector.response.GetResp;
import io.milvus.v2.service.vector.response.QueryResp;
import io.milvus.v2.service.vector.response.SearchResp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The image collection in Milvus, as serving reads it. */
final class Index {
  /** Milvus refuses offset + limit above this. */
  static final int MAX_WINDOW = 16_384;

  private static final List<String> OUTPUT =
      List.of(MilvusCollection.QUALITY, MilvusCollection.SOURCE, MilvusCollection.FIRST_SEEN);

  /** One search hit with the scalars stored beside the vector. */
  record Hit(String id, float score, Float quality, String source, Long firstSeen) {}

  private final Stores stores;
  private final String collection;
  private final int ef;

  Index(Stores stores, String collection, int ef) {
    this.stores = stores;
    this.collection = collection;
    this.ef = ef;
  }

  /** Hits {@code offset} to {@code offset + limit} by descending similarity to {@code vector}. */
  List<Hit> search(float[] vector, String filter, int offset, int limit) {
    SearchReq.SearchReqBuilder request =
        SearchReq.builder()
            .collectionName(collection)
            .annsField(MilvusCollection.VECTOR)
            .data(List.<BaseVector>of(new FloatVec(vector)))
            .offset(offset)
            .limit(limit)
            .outputFields(OUTPUT)
            // HNSW needs ef >= offset + limit to return that many.
            .searchParams(Map.of("ef", Math.max(ef, offset + limit)))
            // New images appear within seconds without the cost of a strong read.
            .consistencyLevel(ConsistencyLevel.BOUNDED);
    if (!filter.isEmpty()) {
      request.filter(filter);
    }
    SearchResp resp = loaded(c -> c.search(request.build()));
    List<Hit> hits = new ArrayList<>();
    for (SearchResp.SearchResult r : resp.getSearchResults().get(0)) {
      Map<String, Object> e = r.getEntity();
      hits.add(
          new Hit(
              String.valueOf(r.getId()),
              r.getScore(),
              e.get(MilvusCollection.QUALITY) instanceof Number n ? n.floatValue() : null,
              e.get(MilvusCollection.SOURCE) instanceof String s ? s : null,
              e.get(MilvusCollection.FIRST_SEEN) instanceof Number n ? n.longValue() : null));
    }
    return hits;
  }

  /** The stored vector of an image. */
  Optional<float[]> vector(String id) {
    GetResp resp =
        loaded(
            c ->
                c.get(
                    GetReq.builder()
                        .collectionName(collection)
                        .ids(List.of(id))
                        .outputFields(List.of(MilvusCollection.VECTOR))
                        .build()));
    for (QueryResp.QueryResult r : resp.getGetResults()) {
      Object v = r.getEntity().get(MilvusCollection.VECTOR);
      if (v instanceof List<?> list) {
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = ((Number) list.get(i)).floatValue();
        }
        return Optional.of(out);
      }
    }
    return Optional.empty();
  }

  /**
   * Runs a read, loading the collection and retrying once if it fails: a Milvus server that
   * restarted has every collection released, and refuses searches until one is loaded again (Milvus
   * Lite says so with a status code the Java SDK cannot name).
   */
  private <T> T loaded(Function<MilvusClientV2, T> call) {
    try {
      return stores.milvus(call);
    } catch (ApiException e) {
      // One request loads it, for at most RELOAD_WAIT; the others answer 503 at once meanwhile
      // (each used to load it too, every request thread blocked for up to the SDK's 60 s).
      if (e.status() != 503 || !reloading.compareAndSet(false, true)) {
        throw e;
      }
      try {
        stores.milvus(
            c -> {
              c.loadCollection(
                  LoadCollectionReq.builder()
                      .collectionName(collection)
                      .timeout(RELOAD_WAIT.toMillis())
                      .build());
              return null;
            });
      } catch (ApiException reload) {
        throw e;
      } finally {
        reloading.set(false);
      }
      return stores.milvus(call);
    }
  }

  /** The longest a request waits for the collection to load after Milvus restarted. */
  private static final java.time.Duration RELOAD_WAIT = java.time.Duration.ofSeconds(15);

  private final java.util.concurrent.atomic.AtomicBoolean reloading =
      new java.util.concurrent.atomic.AtomicBoolean();

  void delete(String id) {
    stores.milvus(
        c -> c.delete(DeleteReq.builder().collectionName(collection).ids(List.of(id)).build()));
  }

  /**
   * The images in the collection, by a {@code count(*)} query. The collection's statistics would be
   * cheaper, but Milvus standalone counts deleted rows in them until compaction removes them, and
   * every upsert (a re-scored image) deletes one: the figure would grow with each re-scoring, and a
   * takedown would not lower it. No filter: Milvus answers an unfiltered count from its segments'
   * row counts and delete records, and Milvus Lite from its entity count, where a filter would read
   * every row. Bounded consistency, as for searches.
   */
  long count() {
    QueryResp resp =
        loaded(
            c ->
                c.query(
                    QueryReq.builder()
                        .collectionName(collection)
                        .outputFields(List.of("count(*)"))
                        .consistencyLevel(ConsistencyLevel.BOUNDED)
                        .build()));
    return resp.getQueryResults().stream()
        .flatMap(r -> r.getEntity().values().stream())
        .filter(Number.class::isInstance)
        .mapToLong(v -> ((Number) v).longValue())
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("Milvus gave no count(*)"));
  }
}
