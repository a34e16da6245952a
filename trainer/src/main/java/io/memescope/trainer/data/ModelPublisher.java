package io.memescope.trainer.data;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes a quality model version: first its parameters and metadata into the registry
 * (Cassandra), then the announcement on the compacted models topic (key {@link ModelVersion#KEY}),
 * so that whoever reads the announcement finds the version in the registry.
 */
public final class ModelPublisher {
  private final MemescopeConfig config;
  private final QualityRegistry registry;

  public ModelPublisher(MemescopeConfig config, QualityRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  public void publish(QualityRegistry.Entry entry) {
    try {
      registry.save(entry);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "could not store version " + entry.version() + " in the registry: " + e.getMessage(), e);
    }
    try {
      announce(config, entry.announcement());
    } catch (Exception e) {
      throw new IllegalStateException(
          "version "
              + entry.version()
              + " is in the registry, but announcing it on "
              + config.kafka().topic("models").name()
              + " failed ("
              + e.getMessage()
              + "): the ingest job does not know it; `memescope train publish "
              + entry.version()
              + "` announces it",
          e);
    }
  }

  /** Puts {@code version} on the models topic and waits for the broker's acknowledgement. */
  public static void announce(MemescopeConfig config, ModelVersion version) throws Exception {
    Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  config.kafka().topic("models").name(),
                  ModelVersion.KEY.getBytes(StandardCharsets.UTF_8),
                  Json.write(version)))
          .get(45, TimeUnit.SECONDS);
    }
  }
}
