package io.memescope.flink.rescore;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.google.gson.Gson;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.flink.ingest.TestImages;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.response.QueryResp;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * The re-scoring job against a takedown under way, on the test stack's Milvus and Cassandra, in the
 * one order of steps that can interleave badly: serving's takedown records the takedown and deletes
 * the vector after the re-scoring job has read its batch, and deletes the rows only after the job
 * has written the batch back and checked which images are still whole.
 */
class RescoreTakedownIT {
  @Test
  void a_vector_deleted_by_a_takedown_under_way_is_not_brought_back_by_a_batch_read_before()
      throws Exception {
    MemescopeConfig config = RescoreStack.config("retake");
    String collection = config.milvus().collection();
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      int dim = new MilvusCollection(milvus, config.milvus()).dimensionOf(collection).orElseThrow();
      List<String> ids = TestImages.write(config, 2, dim, new Random(11));
      String kept = ids.get(0);
      String takenDown = ids.get(1);
      RescoreStack.register(
          cql, "q-race", Instant.now(), new QualitySpec(List.of("funny"), dim, List.of(4), 1, 0.0));
      RescoreJob.RescoreSlice rescorer = new RescoreJob.RescoreSlice(config.render(), "q-race");
      try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(rescorer)) {
        // The batch as the job reads it, both images whole.
        List<QueryResp.QueryResult> batch = RescoreStack.rows(milvus, collection, ids);
        assertThat(batch).hasSize(2);

        // Serving's takedown, first two steps: the record, then the vector.
        recordAndDeleteVector(cql, milvus, collection, takenDown);

        // The job writes the batch back while the rows are still there.
        int written = rescorer.write(batch);

        // Serving's last step: the rows.
        cql.execute("DELETE FROM images WHERE id = ?", takenDown);

        assertThat(written).as("images re-scored").isEqualTo(1);
        assertThat(RescoreStack.rows(milvus, collection, ids).stream().map(RescoreTakedownIT::id))
            .as("vectors left in Milvus")
            .containsExactly(kept);
        assertThat(
                cql.execute("SELECT quality_version FROM images WHERE id = ?", kept)
                    .one()
                    .getString("quality_version"))
            .isEqualTo("q-race");
      }
    } finally {
      milvus.close();
    }
  }

  @Test
  void a_vector_an_ended_attempt_put_back_after_a_takedown_is_deleted_by_the_next()
      throws Exception {
    MemescopeConfig config = RescoreStack.config("retake2");
    String collection = config.milvus().collection();
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      int dim = new MilvusCollection(milvus, config.milvus()).dimensionOf(collection).orElseThrow();
      List<String> ids = TestImages.write(config, 2, dim, new Random(12));
      String kept = ids.get(0);
      String takenDown = ids.get(1);
      RescoreStack.register(
          cql,
          "q-ended",
          Instant.now(),
          new QualitySpec(List.of("funny"), dim, List.of(4), 1, 0.0));
      // An attempt read its batch, both images whole ...
      List<QueryResp.QueryResult> batch = RescoreStack.rows(milvus, collection, ids);
      QueryResp.QueryResult row =
          batch.stream().filter(r -> id(r).equals(takenDown)).findFirst().orElseThrow();
      // ... serving took the image down, all three steps ...
      recordAndDeleteVector(cql, milvus, collection, takenDown);
      cql.execute("DELETE FROM images WHERE id = ?", takenDown);
      // ... and the attempt wrote its batch back, then ended (cancelled by a newer publication, a
      // store gone away) before its check after the writes.
      milvus.upsert(
          UpsertReq.builder()
              .collectionName(collection)
              .data(List.of(new Gson().toJsonTree(row.getEntity()).getAsJsonObject()))
              .build());
      cql.execute(
          "UPDATE images SET quality = 0.5, quality_version = 'q-ended' WHERE id = ?", takenDown);
      assertThat(RescoreStack.rows(milvus, collection, ids)).as("the vector is back").hasSize(2);

      // The next attempt reads the slice again.
      RescoreJob.RescoreSlice rescorer = new RescoreJob.RescoreSlice(config.render(), "q-ended");
      try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(rescorer)) {
        int written = rescorer.write(RescoreStack.rows(milvus, collection, ids));
        assertThat(written).as("images re-scored").isEqualTo(1);
      }
      assertThat(RescoreStack.rows(milvus, collection, ids).stream().map(RescoreTakedownIT::id))
          .as("vectors left in Milvus")
          .containsExactly(kept);
      var left = cql.execute("SELECT quality_version FROM images WHERE id = ?", takenDown).one();
      assertThat(left == null || left.isNull("quality_version"))
          .as("the quality columns that attempt wrote are gone")
          .isTrue();
    } finally {
      milvus.close();
    }
  }

  /** Serving's takedown, first two steps: the record, then the vector (the rows go last). */
  private static void recordAndDeleteVector(
      CqlSession cql, MilvusClientV2 milvus, String collection, String id) {
    String sha =
        cql.execute("SELECT sha256 FROM images WHERE id = ?", id).one().getString("sha256");
    cql.execute(
        "INSERT INTO takedowns_by_image (image_id, sha256, taken_down_at) VALUES (?, ?, ?)",
        id,
        sha,
        Instant.now());
    milvus.delete(DeleteReq.builder().collectionName(collection).ids(List.<Object>of(id)).build());
  }

  private static String id(QueryResp.QueryResult r) {
    return (String) r.getEntity().get(MilvusCollection.ID);
  }
}
