package io.memescope.crawler.publish;

import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes crawl records to Kafka, keyed by URL hash, with an idempotent producer (acks=all, the
 * client retries transient failures itself). {@link #publishAll} returns only when every record is
 * acknowledged and throws otherwise, so the caller never advances its cursor past a record that was
 * not published.
 */
public final class CrawlPublisher implements AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final String topic;

  public CrawlPublisher(String bootstrapServers, String topic) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.producer = new KafkaProducer<>(p);
    this.topic = topic;
  }

  /** Sends every record and waits for all acknowledgements. */
  public void publishAll(List<CrawlRecord> records) throws PublishException {
    List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
    for (CrawlRecord record : records) {
      sent.add(producer.send(new ProducerRecord<>(topic, record.urlHash(), Json.write(record))));
    }
    producer.flush();
    for (Future<RecordMetadata> future : sent) {
      try {
        future.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PublishException("interrupted while publishing to " + topic, e);
      } catch (ExecutionException e) {
        throw new PublishException(
            "publishing to " + topic + " failed: " + e.getCause(), e.getCause());
      }
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
