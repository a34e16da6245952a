package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.memescope.core.config.MilvusSettings;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.request.data.FloatVec;
import io.milvus.v2.service.vector.response.QueryResp;
import io.milvus.v2.service.vector.response.SearchResp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Insert, index, search, upsert, query and delete through the Java SDK against the stack. */
class MilvusRoundTripIT {
  private static final int DIM = 8;
  private final MilvusSettings milvus = TestStack.config().milvus();
  private final Gson gson = new Gson();
  private MilvusClientV2 client;
  private String collection;

  @BeforeEach
  void createCollection() {
    client = Clients.milvus(milvus);
    collection = TestStack.uniqueName("rt");
    new MilvusCollection(client, milvus).ensure(collection, DIM);
  }

  @AfterEach
  void dropCollection() {
    client.dropCollection(DropCollectionReq.builder().collectionName(collection).build());
    client.close();
  }

  @Test
  void inserted_vectors_are_found_by_search_with_filters_then_upserted_and_deleted() {
    Random random = new Random(42);
    List<float[]> vectors = new ArrayList<>();
    List<JsonObject> rows = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      float[] v = unit(random, DIM);
      vectors.add(v);
      rows.add(row("img" + i, v, i % 2 == 0 ? 0.9f : 0.1f, i < 50 ? "reddit" : "feed"));
    }
    assertThat(
            client
                .insert(InsertReq.builder().collectionName(collection).data(rows).build())
                .getInsertCnt())
        .isEqualTo(100);

    // The nearest neighbour of a stored vector is that vector.
    List<SearchResp.SearchResult> hits = search(vectors.get(7), "", 5);
    assertThat(hits).hasSize(5);
    assertThat(hits.get(0).getId()).isEqualTo("img7");
    assertThat(hits.get(0).getScore()).isGreaterThan(0.999f);

    // Scalar filters restrict the candidates.
    List<SearchResp.SearchResult> filtered =
        search(vectors.get(7), "quality > 0.5 and source == \"feed\"", 10);
    assertThat(filtered)
        .isNotEmpty()
        .allSatisfy(
            h -> {
              int n = Integer.parseInt(((String) h.getId()).substring(3));
              assertThat(n % 2).isZero();
              assertThat(n).isGreaterThanOrEqualTo(50);
            });

    // Upsert by id replaces the row: same count, new values.
    client.upsert(
        UpsertReq.builder()
            .collectionName(collection)
            .data(List.of(row("img7", vectors.get(7), 0.5f, "upserted")))
            .build());
    List<QueryResp.QueryResult> img7 = query("id == \"img7\"");
    assertThat(img7).hasSize(1);
    assertThat(img7.get(0).getEntity().get("source")).isEqualTo("upserted");
    assertThat(query("id != \"\"")).hasSize(100);

    // Deleted rows disappear from search and query.
    client.delete(DeleteReq.builder().collectionName(collection).ids(List.of("img7")).build());
    assertThat(query("id == \"img7\"")).isEmpty();
    assertThat(search(vectors.get(7), "", 5))
        .extracting(SearchResp.SearchResult::getId)
        .doesNotContain("img7");
    assertThat(query("id != \"\"")).hasSize(99);
  }

  private List<SearchResp.SearchResult> search(float[] vector, String filter, int topK) {
    SearchReq.SearchReqBuilder request =
        SearchReq.builder()
            .collectionName(collection)
            .annsField(MilvusCollection.VECTOR)
            .data(List.of(new FloatVec(vector)))
            .topK(topK)
            .outputFields(List.of(MilvusCollection.QUALITY, MilvusCollection.SOURCE))
            .consistencyLevel(ConsistencyLevel.STRONG);
    if (!filter.isEmpty()) {
      request.filter(filter);
    }
    return client.search(request.build()).getSearchResults().get(0);
  }

  private List<QueryResp.QueryResult> query(String filter) {
    return client
        .query(
            QueryReq.builder()
                .collectionName(collection)
                .filter(filter)
                .outputFields(List.of(MilvusCollection.ID, MilvusCollection.SOURCE))
                .consistencyLevel(ConsistencyLevel.STRONG)
                .limit(1000)
                .build())
        .getQueryResults();
  }

  private JsonObject row(String id, float[] vector, float quality, String source) {
    JsonObject row = new JsonObject();
    row.addProperty(MilvusCollection.ID, id);
    row.add(MilvusCollection.VECTOR, gson.toJsonTree(vector));
    row.addProperty(MilvusCollection.QUALITY, quality);
    row.addProperty(MilvusCollection.SOURCE, source);
    row.addProperty(MilvusCollection.FIRST_SEEN, 1_700_000_000_000L);
    return row;
  }

  /** A random vector of length 1 in {@code dim} dimensions. */
  static float[] unit(Random random, int dim) {
    float[] v = new float[dim];
    double norm = 0;
    for (int i = 0; i < dim; i++) {
      v[i] = (float) random.nextGaussian();
      norm += v[i] * v[i];
    }
    for (int i = 0; i < dim; i++) {
      v[i] /= (float) Math.sqrt(norm);
    }
    return v;
  }
}
