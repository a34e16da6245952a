package io.memescope.core.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.model.ModelFormatException;
import io.memescope.core.model.ModelMetadata;
import io.milvus.v2.client.MilvusClientV2;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;

/**
 * Applies the whole schema, idempotently: Kafka topics, the Cassandra keyspace and its migrations,
 * and the Milvus collection at the dimension of the configured model.
 */
public final class Schema {
  private Schema() {}

  /** Returns one line per change (or per notable fact, such as a missing model). */
  public static List<String> apply(MemescopeConfig config) {
    List<String> changes = new ArrayList<>();
    try (Admin admin = Clients.kafkaAdmin(config.kafka())) {
      changes.addAll(
          new KafkaTopics(admin, config.kafka().replicationFactor(), Duration.ofSeconds(30))
              .apply(config.kafka()));
    }
    try (CqlSession session = Clients.cassandra(config.cassandra())) {
      changes.addAll(new CassandraMigrations(session, config.cassandra()).apply());
    }
    ModelMetadata model;
    try {
      model = ModelMetadata.read(config.model().dir());
    } catch (ModelFormatException e) {
      changes.add(
          "Milvus collection "
              + config.milvus().collection()
              + " not checked: "
              + e.getMessage()
              + " (model.dir); it is created at the model's dimension once a model is installed");
      return changes;
    }
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      changes.add(
          new MilvusCollection(milvus, config.milvus())
              .ensure(config.milvus().collection(), model.embeddingDim()));
    } finally {
      milvus.close();
    }
    return changes;
  }
}
