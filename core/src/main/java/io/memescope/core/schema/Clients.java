package io.memescope.core.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.memescope.core.config.CassandraSettings;
import io.memescope.core.config.KafkaSettings;
import io.memescope.core.config.MilvusSettings;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/** Clients of the three stores, built from configuration. The caller closes what it gets. */
public final class Clients {
  private Clients() {}

  public static Admin kafkaAdmin(KafkaSettings kafka) {
    return kafkaAdmin(kafka, 30_000);
  }

  /** An admin client whose calls give up after {@code apiTimeoutMillis}. */
  public static Admin kafkaAdmin(KafkaSettings kafka, int apiTimeoutMillis) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, apiTimeoutMillis);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(apiTimeoutMillis, 30_000));
    return Admin.create(props);
  }

  /**
   * The settings every Kafka producer of ours starts from: the bootstrap servers, idempotence with
   * {@code acks=all}, and <b>one request in flight per connection</b>. The caller adds serializers
   * and timeouts.
   *
   * <p>One in flight, not the client's five: Kafka up to 4.4 accepts any first sequence number from
   * a producer it has no state for on a partition. A producer that writes to a partition just
   * created (or just moved) can have its first request refused as "not leader" and the next one
   * accepted; every retry of the first is then out of order, and its records expire after {@code
   * delivery.timeout.ms} although the producer is idempotent (KAFKA-15591, fixed in 4.5). With one
   * request in flight the second waits for the first. Our producers send small records at modest
   * rates, where the cost is a round trip per request to each broker.
   */
  public static Properties kafkaProducerProperties(String bootstrapServers) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return p;
  }

  /**
   * A consumer that reads partitions it assigns itself, in no group, and commits nothing: for
   * commands that read a topic once (15 s for each call to the brokers). It never creates a topic
   * it asks about (a broker that auto-creates topics would make it with the wrong settings, e.g.
   * the models topic not compacted): the schema creates them.
   */
  public static Properties kafkaReaderProperties(String bootstrapServers) {
    Properties p = new Properties();
    p.put(
        org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers);
    p.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(org.apache.kafka.clients.consumer.ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    p.put(org.apache.kafka.clients.consumer.ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return p;
  }

  /** A session not bound to a keyspace. */
  public static CqlSession cassandra(CassandraSettings cassandra) {
    return cassandraBuilder(cassandra, cassandra.requestTimeout(), true).build();
  }

  /** A session bound to Memescope's keyspace. */
  public static CqlSession cassandraKeyspace(CassandraSettings cassandra) {
    return cassandraBuilder(cassandra, cassandra.requestTimeout(), true)
        .withKeyspace(cassandra.keyspace())
        .build();
  }

  /**
   * A session bound to Memescope's keyspace for a command-line tool: when no node answers, an error
   * that says where Cassandra was expected and to start the stack, not the driver's.
   */
  public static CqlSession cassandraKeyspaceForCommandLine(CassandraSettings cassandra) {
    try {
      return cassandraKeyspace(cassandra);
    } catch (com.datastax.oss.driver.api.core.AllNodesFailedException e) {
      throw new IllegalStateException(
          "Cassandra at "
              + cassandra.host()
              + ":"
              + cassandra.nativePort()
              + " does not answer; start the stack with ./memescope up",
          e);
    }
  }

  /** A session for a quick liveness check: short timeouts, no schema or token metadata. */
  public static CqlSession cassandraProbe(CassandraSettings cassandra, Duration timeout) {
    return cassandraBuilder(cassandra, timeout, false).build();
  }

  private static com.datastax.oss.driver.api.core.CqlSessionBuilder cassandraBuilder(
      CassandraSettings cassandra, Duration timeout, boolean metadata) {
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress(cassandra.host(), cassandra.nativePort()))
        .withLocalDatacenter(cassandra.localDatacenter())
        .withConfigLoader(
            DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, timeout)
                // Not the driver's LOCAL_ONE: with replication factor 3 a read at ONE may miss a
                // write acknowledged at ONE, and the index sink's takedown check relies on seeing
                // every takedown recorded before it reads (one replica: the same as ONE).
                .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "LOCAL_QUORUM")
                .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, timeout)
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, timeout)
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, timeout)
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, timeout)
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, metadata)
                .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, metadata)
                .build());
  }

  /**
   * A Milvus client whose calls fail after 30 s. Without a deadline, a call made while the server
   * is down blocks forever, silently.
   */
  public static MilvusClientV2 milvus(MilvusSettings milvus) {
    return milvus(milvus, Duration.ofSeconds(10), Duration.ofSeconds(30));
  }

  public static MilvusClientV2 milvus(MilvusSettings milvus, Duration connect, Duration deadline) {
    return new MilvusClientV2(
        ConnectConfig.builder()
            .uri(milvus.uri())
            .connectTimeoutMs(connect.toMillis())
            .rpcDeadlineMs(deadline.toMillis())
            .build());
  }
}
