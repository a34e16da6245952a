package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.CassandraMigrations;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.core.schema.Schema;
import io.memescope.core.schema.SchemaException;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The schema applied twice changes nothing the second time, and refuses contradictions. */
class SchemaIT {
  @TempDir Path modelDir;

  @Test
  void applying_twice_is_idempotent_and_creates_everything_once() throws Exception {
    MemescopeConfig config = freshConfig(64, Map.of());

    List<String> first = Schema.apply(config);
    List<String> second = Schema.apply(config);

    assertThat(first)
        .anySatisfy(c -> assertThat(c).startsWith("created topic " + topic(config, "models")))
        .anySatisfy(c -> assertThat(c).startsWith("applied CQL migration V001"))
        .anySatisfy(c -> assertThat(c).startsWith("created Milvus collection"));
    assertThat(second)
        .containsExactly(
            "Milvus collection " + config.milvus().collection() + " exists (dimension 64)");

    try (Admin admin = Clients.kafkaAdmin(config.kafka())) {
      String models = topic(config, "models");
      var resource = new ConfigResource(ConfigResource.Type.TOPIC, models);
      var cleanup =
          admin.describeConfigs(List.of(resource)).all().get().get(resource).get("cleanup.policy");
      assertThat(cleanup.value()).isEqualTo("compact");
    }
    try (CqlSession session = Clients.cassandra(config.cassandra())) {
      long applied =
          session
              .execute(
                  "SELECT count(*) FROM " + config.cassandra().keyspace() + ".schema_migrations")
              .one()
              .getLong(0);
      assertThat(applied).isEqualTo(CassandraMigrations.available().size());
      assertThat(
              session
                  .getMetadata()
                  .getKeyspace(config.cassandra().keyspace())
                  .orElseThrow()
                  .getTable("images"))
          .isPresent();
    }
    drop(config);
  }

  @Test
  void more_partitions_in_config_widen_an_existing_topic() throws Exception {
    MemescopeConfig config = freshConfig(16, Map.of());
    Schema.apply(config);
    String prefix = "kafka.topics.crawl-urls.";
    MemescopeConfig wider =
        freshConfig(
            16,
            Map.of(
                prefix + "name",
                topic(config, "crawl-urls"),
                "cassandra.keyspace",
                config.cassandra().keyspace(),
                "milvus.collection",
                config.milvus().collection(),
                prefix + "partitions",
                "6"));

    assertThat(Schema.apply(wider)).anySatisfy(c -> assertThat(c).startsWith("widened topic"));
    try (Admin admin = Clients.kafkaAdmin(config.kafka())) {
      TopicDescription d =
          admin
              .describeTopics(List.of(topic(config, "crawl-urls")))
              .allTopicNames()
              .get()
              .values()
              .iterator()
              .next();
      assertThat(d.partitions()).hasSize(6);
    }
    drop(config);
  }

  @Test
  void a_model_of_another_dimension_is_refused_for_an_existing_collection() throws IOException {
    MemescopeConfig config = freshConfig(64, Map.of());
    Schema.apply(config);
    writeModel(32);

    assertThatThrownBy(() -> Schema.apply(config))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("dimension 64 but the model needs 32")
        .hasMessageContaining(config.milvus().collection());
    drop(config);
  }

  @Test
  void migrations_applied_but_never_recorded_are_applied_again_without_error() throws IOException {
    // A client timeout on a schema change the server made, or a crash between a migration and
    // its record: its ALTER TABLE ... ADD ran again and failed every later `up` until 2026-12-07.
    // A keyspace named in capitals, which Cassandra keeps in lower case (unquoted).
    MemescopeConfig config =
        freshConfig(8, Map.of("cassandra.keyspace", "Ks_" + TestStack.uniqueName("m")));
    Schema.apply(config);
    String migrations = config.cassandra().keyspace() + ".schema_migrations";
    try (CqlSession session = Clients.cassandra(config.cassandra())) {
      session.execute("DELETE FROM " + migrations + " WHERE version IN (5, 7, 11, 12)");
    }

    assertThat(Schema.apply(config))
        .anySatisfy(c -> assertThat(c).startsWith("applied CQL migration V005"))
        .anySatisfy(c -> assertThat(c).startsWith("applied CQL migration V012"));
    try (CqlSession session = Clients.cassandra(config.cassandra())) {
      assertThat(session.execute("SELECT count(*) FROM " + migrations).one().getLong(0))
          .isEqualTo(CassandraMigrations.available().size());
    }
    drop(config);
  }

  @Test
  void index_settings_an_existing_collection_was_not_made_with_are_named() throws IOException {
    // The settings shape the index only when the collection is made: until 2026-12-07 a changed
    // index type was ignored without a word, and a changed metric surfaced as refused searches.
    MemescopeConfig config = freshConfig(8, Map.of());
    Schema.apply(config);
    String collection = config.milvus().collection();
    MemescopeConfig flat = TestStack.load(with(config, Map.of("milvus.index-type", "FLAT")));
    assertThat(Schema.apply(flat))
        .containsExactly(
            "Milvus collection "
                + collection
                + " exists (dimension 8); its index "
                + config.milvus().indexType()
                + ", milvus.index-type FLAT: the setting applies to a new collection only"
                + " (milvus.collection)");
    MemescopeConfig l2 = TestStack.load(with(config, Map.of("milvus.metric", "IP")));
    assertThatThrownBy(() -> Schema.apply(l2))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("measures similarity by COSINE but milvus.metric is IP");
    drop(config);
  }

  @Test
  void an_edited_migration_is_refused() throws IOException {
    MemescopeConfig config = freshConfig(8, Map.of());
    Schema.apply(config);
    try (CqlSession session = Clients.cassandra(config.cassandra())) {
      session.execute(
          "UPDATE "
              + config.cassandra().keyspace()
              + ".schema_migrations SET checksum = 'edited' WHERE version = 1");
    }

    assertThatThrownBy(() -> Schema.apply(config))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("V001.cql was changed after it was applied");
    drop(config);
  }

  @Test
  void without_a_model_the_collection_is_left_for_later_and_said_so() {
    MemescopeConfig config =
        TestStack.load(
            Map.of(
                "cassandra.keyspace", TestStack.uniqueName("ks"),
                "model.dir", modelDir.resolve("absent").toString()));
    TestStack.config();

    assertThat(Schema.apply(config))
        .anySatisfy(c -> assertThat(c).contains("not checked").contains("metadata.json: missing"));
    dropKeyspace(config);
  }

  /** The settings of {@code config}'s fresh stores, with {@code more}. */
  private Map<String, String> with(MemescopeConfig config, Map<String, String> more) {
    Map<String, String> overrides = new java.util.HashMap<>();
    for (String key : List.of("crawl-urls", "ingest-indexed", "ingest-rejects", "models")) {
      overrides.put("kafka.topics." + key + ".name", config.kafka().topic(key).name());
    }
    overrides.put("cassandra.keyspace", config.cassandra().keyspace());
    overrides.put("milvus.collection", config.milvus().collection());
    overrides.put("model.dir", modelDir.toString());
    overrides.putAll(more);
    return overrides;
  }

  private MemescopeConfig freshConfig(int dimension, Map<String, String> extra) throws IOException {
    TestStack.config();
    writeModel(dimension);
    Map<String, String> overrides = new java.util.HashMap<>();
    String suffix = TestStack.uniqueName("s");
    for (String key : List.of("crawl-urls", "ingest-indexed", "ingest-rejects", "models")) {
      overrides.put("kafka.topics." + key + ".name", "test." + key + "." + suffix);
    }
    overrides.put("cassandra.keyspace", "ks_" + suffix);
    overrides.put("milvus.collection", "c_" + suffix);
    overrides.put("model.dir", modelDir.toString());
    overrides.putAll(extra);
    return TestStack.load(overrides);
  }

  /** Metadata of a model of {@code dimension}; the schema needs nothing else of it. */
  private void writeModel(int dimension) throws IOException {
    Files.writeString(
        modelDir.resolve("metadata.json"),
        "{\"name\":\"test\",\"embedding_dim\":"
            + dimension
            + ",\"mean\":[0.5,0.5,0.5],\"std\":[0.5,0.5,0.5]}");
    for (String file : List.of("image_encoder.pt", "text_encoder.pt", "tokenizer.json")) {
      Files.writeString(modelDir.resolve(file), "");
    }
  }

  private static String topic(MemescopeConfig config, String key) {
    return config.kafka().topic(key).name();
  }

  private static void drop(MemescopeConfig config) {
    dropKeyspace(config);
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      if (new MilvusCollection(milvus, config.milvus())
          .dimensionOf(config.milvus().collection())
          .isPresent()) {
        milvus.dropCollection(
            DropCollectionReq.builder().collectionName(config.milvus().collection()).build());
      }
    } finally {
      milvus.close();
    }
  }

  private static void dropKeyspace(MemescopeConfig config) {
    try (CqlSession session = Clients.cassandra(config.cassandra())) {
      session.execute("DROP KEYSPACE IF EXISTS " + config.cassandra().keyspace());
    }
  }
}
