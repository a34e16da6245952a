package io.memescope.serving;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import io.memescope.core.schema.Clients;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes an image down: announces it on {@code memescope.takedowns} (the ingest job refuses its
 * content and near copies from then on), records it in Cassandra's {@code takedowns} and {@code
 * takedowns_by_image}, deletes it from Milvus, and deletes its rows in Cassandra, the image row
 * last. Recording comes before any delete: the ingest job's index sink reads the record when it
 * commits and removes anything it wrote for the image, so a write decided before the job heard of
 * the takedown either sees the record or happened before the deletes (docs/ARCHITECTURE.md,
 * "Takedowns and the index sink"). Each step is idempotent and the image row is what makes the
 * image findable, so a takedown that failed half-way is finished by repeating the request.
 */
final class Takedowns implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Takedowns.class);

  private final Catalog catalog;
  private final Index index;
  private final KafkaSettings kafka;
  private volatile KafkaProducer<String, byte[]> producer;

  Takedowns(Catalog catalog, Index index, KafkaSettings kafka) {
    this.catalog = catalog;
    this.index = index;
    this.kafka = kafka;
  }

  Map<String, Object> takedown(String id, String reason) {
    Catalog.Detail d =
        catalog.detail(id).orElseThrow(() -> ApiException.notFound("no image with id " + id));
    Instant at = Instant.now();
    Takedown record = Takedown.of(id, d.sha256(), d.phash(), reason, at);
    try {
      producer()
          .send(
              new ProducerRecord<>(kafka.topic("takedowns").name(), d.sha256(), Json.write(record)))
          .get(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.unavailable("Kafka", e);
    } catch (Exception e) {
      throw ApiException.unavailable("Kafka", e);
    }
    catalog.recordTakedown(d, reason, at);
    catalog.forget(id); // left out of answers from here on, before any delete
    index.delete(id);
    catalog.deleteRows(d);
    LOG.info("took down image {} (sha256 {}): {}", id, d.sha256(), reason);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("removed", true);
    out.put(
        "blocked", Map.of("sha256", d.sha256(), "phash", HexFormat.of().toHexDigits(d.phash())));
    out.put("at", at.toString());
    return out;
  }

  private KafkaProducer<String, byte[]> producer() {
    KafkaProducer<String, byte[]> p = producer;
    if (p == null) {
      synchronized (this) {
        if (producer == null) {
          Properties props = Clients.kafkaProducerProperties(kafka.bootstrapServers());
          props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
          props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 12_000);
          props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
          producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        }
        p = producer;
      }
    }
    return p;
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close();
    }
  }
}
