package io.memescope.flink.rescore;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.QualityModel;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.quality.ScoreQuantiles;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.response.QueryResp;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The test stack as the re-scoring job's tests use it: a keyspace and collection of their own. */
final class RescoreStack {
  private RescoreStack() {}

  /** Settings for a run of its own (keyspace, collection, topic), with the schema applied. */
  static MemescopeConfig config(String name) {
    return TestStack.isolated(name, "ingest-indexed");
  }

  /**
   * Registers a freshly initialised model of {@code spec} as {@code version}, stamped {@code at}.
   */
  static void register(CqlSession cql, String version, Instant at, QualitySpec spec) {
    try (QualityModel model = QualityModel.create(spec, 5)) {
      new QualityRegistry(cql)
          .save(
              new QualityRegistry.Entry(
                  version,
                  at,
                  spec,
                  model.save(),
                  ScoreQuantiles.of(
                      spec.dimensions(),
                      model.scores(new float[][] {new float[spec.embeddingDim()]})),
                  Map.of(),
                  10,
                  "{}"));
    }
  }

  /** The Milvus rows of {@code ids}, with their vectors, read with strong consistency. */
  static List<QueryResp.QueryResult> rows(
      MilvusClientV2 milvus, String collection, List<String> ids) {
    return RescoreJob.rows(milvus, collection, ids);
  }
}
