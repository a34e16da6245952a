package io.memescope.trainer.data;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
 *
 * <p>The ingest job, the re-scoring jobs and serving follow the newest stamp, so a publication is
 * stamped after every version in the registry: now, or just after the newest where that one's
 * publisher's clock ran ahead of ours (or a rollback stamped it so). A version stamped before the
 * newest would be announced and ignored: the ingest job would keep the older one, its re-scoring
 * job would skip every slice as superseded, and the topic's compaction, which keeps the last record
 * written, would later hand it to whatever reads the topic afresh.
 */
public final class ModelPublisher {
  private final MemescopeConfig config;
  private final QualityRegistry registry;

  public ModelPublisher(MemescopeConfig config, QualityRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  /**
   * Registers and announces {@code entry}, stamped after every registered version (its own stamp is
   * replaced).
   *
   * @return the entry as published, with its stamp
   * @throws IllegalStateException when a step fails (the message names it and what to run), or when
   *     another version published at the same moment came out newest
   */
  public QualityRegistry.Entry publish(QualityRegistry.Entry entry) {
    QualityRegistry.Entry stamped;
    Instant previously;
    try {
      List<QualityRegistry.Published> registered = registry.published();
      previously = previousStamp(registered, entry.version());
      stamped =
          entry.stampedAt(
              stamp(
                  Instant.now(),
                  registered.isEmpty() ? Optional.empty() : Optional.of(registered.get(0))));
      registry.save(stamped);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "could not store version " + entry.version() + " in the registry: " + e.getMessage(), e);
    }
    try {
      announce(config, stamped.announcement(previously));
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
    // Another publication at the same moment can have come out newer, or stamped the same (two
    // publishers after one newest stamped ahead of both clocks): then the ingest job may follow
    // either, so neither may say it is live.
    Optional<QualityRegistry.Published> rival;
    try {
      rival = rival(registry.published(), stamped);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "version "
              + entry.version()
              + " is registered and announced, but whether another publication overtook it could"
              + " not be checked ("
              + e.getMessage()
              + "): `memescope train versions` shows which is live, and `memescope train publish "
              + entry.version()
              + "` publishes it again, re-scoring included",
          e);
    }
    if (rival.isPresent()) {
      throw new IllegalStateException(
          "version "
              + entry.version()
              + " was published, but "
              + rival.get().version()
              + " was published at the same moment and is stamped "
              + (rival.get().createdAt().equals(stamped.createdAt()) ? "the same" : "later")
              + ": `memescope train publish "
              + entry.version()
              + "` publishes it again");
    }
    return stamped;
  }

  /**
   * A version other than {@code published} stamped the same as it or later, if any: a publication
   * at the same moment that the ingest job may follow instead.
   */
  static Optional<QualityRegistry.Published> rival(
      List<QualityRegistry.Published> versions, QualityRegistry.Entry published) {
    return versions.stream()
        .filter(e -> !e.version().equals(published.version()))
        .filter(e -> !e.createdAt().isBefore(published.createdAt()))
        .findFirst();
  }

  /**
   * {@code version}'s stamp in the registry before it is published again, or null where it was
   * never registered (a version just trained): the announcement carries it, so that the ingest job
   * knows which versions a publication goes back from ({@link ModelVersion#rollsBack}).
   */
  static Instant previousStamp(List<QualityRegistry.Published> registered, String version) {
    return registered.stream()
        .filter(p -> p.version().equals(version))
        .map(QualityRegistry.Published::createdAt)
        .findFirst()
        .orElse(null);
  }

  /**
   * The stamp of a publication at {@code now}: now, or a millisecond after the newest registered
   * version where that is not earlier. In whole milliseconds, as the registry keeps it (a Cassandra
   * timestamp): the announcement carries the same stamp as the registry, so two publications in one
   * millisecond are told apart by {@link #rival} instead of each finding the other older.
   */
  static Instant stamp(Instant now, Optional<QualityRegistry.Published> newest) {
    Instant millis = now.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    if (newest.isPresent() && !millis.isAfter(newest.get().createdAt())) {
      return newest.get().createdAt().plusMillis(1);
    }
    return millis;
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
