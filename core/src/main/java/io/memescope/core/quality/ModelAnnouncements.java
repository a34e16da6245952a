package io.memescope.core.quality;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.schema.Clients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Which quality model version the ingest job follows, read from the compacted models topic the way
 * the job reads it: every record's value (the key is ignored, as the job ignores it), the
 * well-formed ones ({@link ModelVersion#parse}), the one stamped last ({@link
 * ModelVersion#newerThan}). The newest <em>registered</em> version is not the same thing: a
 * publication whose announcement failed is registered but not followed.
 *
 * <p>One instance keeps its consumer and its position, so a long-lived reader (serving's stats)
 * only reads what was added since its last {@link #refresh}. Not thread-safe: one thread refreshes.
 */
public final class ModelAnnouncements implements AutoCloseable {
  private static final Duration BROKER_CALL = Duration.ofSeconds(15);

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private List<TopicPartition> partitions = List.of();
  private ModelVersion newest;

  /**
   * @throws IllegalStateException when no consumer can be made (e.g. no broker address resolves)
   */
  public ModelAnnouncements(KafkaSettings kafka) {
    this.topic = kafka.topic("models").name();
    try {
      this.consumer =
          new KafkaConsumer<>(
              Clients.kafkaReaderProperties(kafka.bootstrapServers()),
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer());
    } catch (KafkaException e) {
      throw new IllegalStateException("cannot read " + topic + ": " + e.getMessage(), e);
    }
  }

  /** Reads the whole topic once, within {@code limit}. */
  public static Optional<ModelVersion> read(KafkaSettings kafka, Duration limit) {
    try (ModelAnnouncements a = new ModelAnnouncements(kafka)) {
      return a.refresh(limit);
    }
  }

  /**
   * Reads the topic from where the last call stopped to its present end, and returns the version
   * followed: empty while nothing well-formed was announced (also while the topic does not exist).
   *
   * @param limit how long the whole call may take (no broker call waits more than 15 s)
   * @throws IllegalStateException when the topic cannot be read to its end within {@code limit};
   *     what was read before counts, and the next call goes on from there
   */
  public Optional<ModelVersion> refresh(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    try {
      if (partitions.isEmpty()) {
        partitions =
            consumer.partitionsFor(topic, remaining(deadline)).stream()
                .map(i -> new TopicPartition(topic, i.partition()))
                .toList();
        if (partitions.isEmpty()) {
          return Optional.ofNullable(newest); // no such topic yet: nothing was ever announced
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
      }
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, remaining(deadline));
      while (behind(end, deadline)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          take(r);
        }
      }
    } catch (KafkaException e) {
      throw new IllegalStateException("cannot read " + topic + ": " + e.getMessage(), e);
    }
    return Optional.ofNullable(newest);
  }

  /** The version followed as of the last record read; empty while none was read. */
  public Optional<ModelVersion> followed() {
    return Optional.ofNullable(newest);
  }

  private boolean behind(Map<TopicPartition, Long> end, long deadline) {
    for (TopicPartition tp : partitions) {
      if (consumer.position(tp, remaining(deadline)) < end.get(tp)) {
        return true;
      }
    }
    return false;
  }

  /** What is left of the call's time for one broker call (15 s at most). */
  private Duration remaining(long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new IllegalStateException("reading " + topic + " took longer than allowed");
    }
    Duration d = Duration.ofNanos(left);
    return d.compareTo(BROKER_CALL) < 0 ? d : BROKER_CALL;
  }

  private void take(ConsumerRecord<byte[], byte[]> r) {
    ModelVersion v;
    try {
      v = ModelVersion.parse(r.value());
    } catch (RuntimeException | java.io.IOException e) {
      return; // malformed: the ingest job skips it too
    }
    if (v.newerThan(newest)) {
      newest = v;
    }
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
  }
}
