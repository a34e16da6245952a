package io.memescope.flink.rescore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.flink.ingest.TestImages;
import io.milvus.v2.client.MilvusClientV2;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** What the re-scoring job refuses to do, on the test stack's Milvus and Cassandra. */
class RescoreGuardsIT {
  /**
   * Given a model trained on embeddings of another length than the index's (an embedder changed
   * since), it fails saying so, and writes nothing, rather than going through the whole index image
   * by image.
   */
  @Test
  void a_model_for_other_embeddings_fails_the_job_with_a_clear_error_and_writes_nothing()
      throws Exception {
    MemescopeConfig config = RescoreStack.config("redim");
    String collection = config.milvus().collection();
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      int dim = new MilvusCollection(milvus, config.milvus()).dimensionOf(collection).orElseThrow();
      List<String> ids = TestImages.write(config, 3, dim, new Random(12));
      RescoreStack.register(
          cql,
          "q-wide",
          Instant.now(),
          new QualitySpec(List.of("funny"), dim + 1, List.of(4), 1, 0));
      RescoreJob.RescoreSlice rescorer = new RescoreJob.RescoreSlice(config.render(), "q-wide");
      try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(rescorer)) {
        var batch = RescoreStack.rows(milvus, collection, ids);
        assertThat(batch).hasSize(3);
        assertThatThrownBy(() -> rescorer.write(batch))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("quality model q-wide scores " + (dim + 1) + "-dimensional")
            .hasMessageContaining("the index holds " + dim);
        for (String id : ids) {
          assertThat(
                  cql.execute("SELECT quality_version FROM images WHERE id = ?", id)
                      .one()
                      .getString("quality_version"))
              .isNull();
        }
      }
    } finally {
      milvus.close();
    }
  }

  /**
   * The catch-up pass re-scores images that are unscored or on an older version, and leaves those
   * on a newer one alone (a version published with trainer.rescore off cancels no older job).
   */
  @Test
  void the_catch_up_takes_older_and_unscored_images_as_stale_and_leaves_newer_ones()
      throws Exception {
    MemescopeConfig config = RescoreStack.config("restale");
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      int dim =
          new MilvusCollection(milvus, config.milvus())
              .dimensionOf(config.milvus().collection())
              .orElseThrow();
      QualitySpec spec = new QualitySpec(List.of("funny"), dim, List.of(4), 1, 0.0);
      Instant t = Instant.now();
      RescoreStack.register(cql, "q-old", t.minusSeconds(60), spec);
      RescoreStack.register(cql, "q-this", t, spec);
      RescoreStack.register(cql, "q-new", t.plusSeconds(60), spec);
      RescoreJob.CatchUp catchUp = new RescoreJob.CatchUp(config.render(), "q-this");
      try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(catchUp)) {
        var stale = catchUp.staleVersions();
        assertThat(stale.test(null)).as("unscored").isTrue();
        assertThat(stale.test("q-old")).as("an older version").isTrue();
        assertThat(stale.test("q-gone")).as("a version the registry does not know").isTrue();
        assertThat(stale.test("q-this")).as("this version").isFalse();
        assertThat(stale.test("q-new")).as("a newer version").isFalse();
      }
    } finally {
      milvus.close();
    }
  }

  /**
   * An image the model cannot score (its score comes out NaN: here a vector of huge, finite
   * components, whose sums overflow in the first layer) is left on its older version and counted;
   * the rest of its batch is re-scored, and the job goes on instead of failing on the same batch
   * after every restart.
   */
  @Test
  void an_image_the_model_cannot_score_stays_on_its_older_version_and_the_rest_are_rescored()
      throws Exception {
    MemescopeConfig config = RescoreStack.config("unscorable");
    String collection = config.milvus().collection();
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      int dim = new MilvusCollection(milvus, config.milvus()).dimensionOf(collection).orElseThrow();
      List<String> ids = TestImages.write(config, 3, dim, new Random(13));
      QualitySpec spec = new QualitySpec(List.of("funny"), dim, List.of(4), 1, 0.0);
      // First every image is scored with an older version.
      RescoreStack.register(cql, "q-before", Instant.now().minusSeconds(60), spec);
      RescoreJob.RescoreSlice before = new RescoreJob.RescoreSlice(config.render(), "q-before");
      try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(before)) {
        assertThat(before.write(RescoreStack.rows(milvus, collection, ids))).isEqualTo(3);
      }
      var scoredBefore =
          cql.execute("SELECT quality, quality_scores FROM images WHERE id = ?", ids.get(0)).one();
      float qualityBefore = scoredBefore.getFloat("quality");
      RescoreStack.register(cql, "q-this", Instant.now(), spec);
      // The first image's vector in Milvus becomes one the model cannot score.
      com.google.gson.JsonObject row =
          new com.google.gson.Gson()
              .toJsonTree(
                  RescoreStack.rows(milvus, collection, ids.subList(0, 1)).get(0).getEntity())
              .getAsJsonObject();
      com.google.gson.JsonArray huge = new com.google.gson.JsonArray();
      float[] hugeVector = new float[dim];
      for (int d = 0; d < dim; d++) {
        hugeVector[d] = d % 2 == 0 ? 3e38f : -3e38f;
        huge.add(hugeVector[d]);
      }
      row.add(MilvusCollection.VECTOR, huge);
      milvus.upsert(
          io.milvus.v2.service.vector.request.UpsertReq.builder()
              .collectionName(collection)
              .data(List.of(row))
              .build());
      try (var scorer =
          io.memescope.core.quality.QualityScorer.load(
              new io.memescope.core.quality.QualityRegistry(cql).get("q-this").orElseThrow())) {
        assertThatThrownBy(() -> scorer.score(new float[][] {hugeVector}))
            .as("the model on the huge vector")
            .isInstanceOf(RuntimeException.class);
      }

      RescoreJob.RescoreSlice rescorer = new RescoreJob.RescoreSlice(config.render(), "q-this");
      try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(rescorer)) {
        var batch = RescoreStack.rows(milvus, collection, ids);
        assertThat(batch).hasSize(3);
        assertThat(rescorer.write(batch)).isEqualTo(2);
      }
      assertThat(version(cql, ids.get(0))).as("the image it cannot score").isEqualTo("q-before");
      var kept =
          cql.execute("SELECT quality, quality_scores FROM images WHERE id = ?", ids.get(0)).one();
      assertThat(kept.getFloat("quality")).isEqualTo(qualityBefore);
      assertThat(kept.getMap("quality_scores", String.class, Float.class))
          .isEqualTo(scoredBefore.getMap("quality_scores", String.class, Float.class));
      assertThat(version(cql, ids.get(1))).isEqualTo("q-this");
      assertThat(version(cql, ids.get(2))).isEqualTo("q-this");
      for (var r : RescoreStack.rows(milvus, collection, ids)) {
        float quality = ((Number) r.getEntity().get(MilvusCollection.QUALITY)).floatValue();
        if (r.getEntity().get(MilvusCollection.ID).equals(ids.get(0))) {
          assertThat(quality)
              .as("Milvus quality of the image it cannot score: the older version's")
              .isEqualTo(qualityBefore);
        } else {
          assertThat(quality).as("Milvus quality of a re-scored image").isBetween(0f, 1f);
        }
      }
    } finally {
      milvus.close();
    }
  }

  private static String version(CqlSession cql, String id) {
    return cql.execute("SELECT quality_version FROM images WHERE id = ?", id)
        .one()
        .getString("quality_version");
  }
}
