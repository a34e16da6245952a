package io.memescope.crawler.publish;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.KafkaTopics;
import java.time.Duration;
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

  /** How long a send may wait for Kafka's metadata (the producer's default, a minute). */
  static final Duration MAX_BLOCK = Duration.ofMinutes(1);

  /** How long closing waits for records still in flight; they were not acknowledged anyway. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  public CrawlPublisher(String bootstrapServers, String topic) {
    this(bootstrapServers, topic, MAX_BLOCK);
  }

  CrawlPublisher(String bootstrapServers, String topic, Duration maxBlock) {
    Properties p = Clients.kafkaProducerProperties(bootstrapServers);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlock.toMillis());
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.producer = new KafkaProducer<>(p);
    this.topic = topic;
  }

  /**
   * Checks, within {@code timeout}, that Kafka answers and has {@code topic}, so that a command
   * whose stack is down says so at once instead of after the producer's minute of retries.
   *
   * @throws PublishException saying which of the two is missing and what to do
   */
  public static void checkReachable(KafkaSettings kafka, String topic, Duration timeout)
      throws PublishException {
    String bootstrapServers = kafka.bootstrapServers();
    KafkaTopics.TopicCheck found;
    try {
      found = KafkaTopics.check(kafka, topic, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishException("interrupted while checking Kafka at " + bootstrapServers, e);
    }
    switch (found.status()) {
      case PRESENT -> {}
      case NO_TOPIC ->
          throw new PublishException(
              "Kafka at "
                  + bootstrapServers
                  + " has no topic "
                  + topic
                  + " (`memescope up` creates the topics)",
              found.failure());
      case NOT_ANSWERING -> throw notAnswering(bootstrapServers, timeout, found.failure());
    }
  }

  private static PublishException notAnswering(String servers, Duration timeout, Throwable cause) {
    return new PublishException(
        "Kafka at "
            + servers
            + " did not answer within "
            + timeout.toSeconds()
            + " s: is the stack up? (`memescope status`)",
        cause);
  }

  /**
   * Sends every record and waits for all acknowledgements. A send that fails at once (Kafka gone:
   * no metadata within {@link #MAX_BLOCK}) ends the call there, instead of every further record of
   * the page waiting as long again.
   */
  public void publishAll(List<CrawlRecord> records) throws PublishException {
    List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
    for (CrawlRecord record : records) {
      Future<RecordMetadata> future =
          producer.send(new ProducerRecord<>(topic, record.urlHash(), Json.write(record)));
      sent.add(future);
      if (future.isDone()) { // only a failure is done before the flush below
        await(future);
      }
    }
    producer.flush();
    for (Future<RecordMetadata> future : sent) {
      await(future);
    }
  }

  private void await(Future<RecordMetadata> future) throws PublishException {
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

  @Override
  public void close() {
    producer.close(CLOSE_TIMEOUT);
  }
}
