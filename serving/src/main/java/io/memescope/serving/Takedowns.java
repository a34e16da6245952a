package io.memescope.serving;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import io.memescope.core.schema.Clients;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 *
 * <p>Or without it: {@link #repair} finishes every takedown on record whose image row is still
 * there. A takedown that failed on this replica is retried every {@link #TICK} until it is
 * finished, and all takedowns on record are looked through at start-up and every {@code
 * serving.takedown-repair-interval}, which finishes those another replica or a process that was
 * stopped left half-done. Until 2026-12-07 nothing did: once this replica's 10-minute mark ran out,
 * an image whose Milvus delete had failed was back in every answer.
 */
final class Takedowns implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Takedowns.class);

  private final Catalog catalog;
  private final Index index;
  private final KafkaSettings kafka;
  private volatile KafkaProducer<String, byte[]> producer;

  /** How often a takedown that failed on this replica is tried again, at most. */
  static final Duration TICK = Duration.ofSeconds(30);

  /** Ids whose takedown failed here after it was recorded, until a repair finishes them. */
  private final Set<String> pending = ConcurrentHashMap.newKeySet();

  private final ScheduledExecutorService repairs =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "takedown-repair");
            t.setDaemon(true);
            return t;
          });

  /** Ids whose takedown request is running here: the repair leaves them to it. */
  private final Set<String> inProgress = ConcurrentHashMap.newKeySet();

  /** How often this replica's failed takedowns are tried again ({@link #start}). */
  private volatile Duration tick = TICK;

  /** When the next look through every takedown on record is due ({@link System#nanoTime}). */
  private long nextFullRepair;

  Takedowns(Catalog catalog, Index index, KafkaSettings kafka) {
    this.catalog = catalog;
    this.index = index;
    this.kafka = kafka;
  }

  /**
   * Starts the repairs: every takedown on record looked through now and every {@code interval},
   * this replica's failed ones every {@link #TICK} (or {@code interval}, if shorter, but at least a
   * second). A look through all of them that failed (Cassandra away at start-up) is tried again at
   * the next tick, not an interval later.
   */
  void start(Duration interval) {
    Duration shortest = Duration.ofSeconds(1);
    tick = interval.compareTo(TICK) < 0 ? interval : TICK;
    if (tick.compareTo(shortest) < 0) {
      tick = shortest;
    }
    nextFullRepair = System.nanoTime();
    repairs.scheduleWithFixedDelay(
        () -> {
          long now = System.nanoTime();
          // Anything thrown out of here would end the schedule without a word (the executor keeps
          // it in a future no one reads), and no takedown would be finished again until a restart.
          try {
            if (now - nextFullRepair >= 0) {
              nextFullRepair = now + interval.toNanos();
              if (!repair(true)) {
                nextFullRepair = now; // the look failed: again at the next tick
              }
            } else if (!pending.isEmpty()) {
              repair(false);
            }
          } catch (RuntimeException | Error e) {
            nextFullRepair = now;
            LOG.error("finishing takedowns failed; again at the next tick", e);
          }
        },
        0,
        tick.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Finishes takedowns that were recorded but not finished: the image is left out of every answer
   * of this replica from now on, deleted from Milvus, and its rows deleted, the image row last. A
   * takedown is unfinished while its image row is there (it goes last). One that fails is left for
   * the next try and the others go on.
   *
   * @param all every takedown on record ({@code takedowns_by_image}), not only this replica's
   *     failed ones
   * @return whether the look itself worked (those it found and could not finish stay pending, and
   *     are tried again at every tick)
   */
  boolean repair(boolean all) {
    int finished = 0;
    int failed = 0;
    boolean looked = false;
    RuntimeException first = null;
    pending.forEach(catalog::forget); // hidden while it is pending, beyond the 10-minute mark
    try {
      Set<String> ids = new HashSet<>(pending);
      if (all) {
        ids.addAll(catalog.takedownIds());
      }
      Set<String> withRow = catalog.withImageRow(ids);
      looked = true;
      // Only what was looked at and found finished: a takedown that failed meanwhile, or one
      // whose request is running, stays pending.
      pending.removeIf(id -> ids.contains(id) && !withRow.contains(id));
      Set<String> unfinished = new HashSet<>(withRow);
      unfinished.removeAll(inProgress);
      for (String id : unfinished) {
        catalog.forget(id);
        pending.add(id);
      }
      for (String id : unfinished) {
        try {
          index.delete(id);
          catalog.deleteRows(id);
          pending.remove(id);
          finished++;
          LOG.info("finished the takedown of image {}, left half-done before", id);
        } catch (RuntimeException e) {
          failed++;
          first = first == null ? e : first;
        }
      }
    } catch (RuntimeException e) {
      failed++;
      first = e;
    }
    if (first != null) {
      LOG.warn(
          "finishing takedowns: {} finished, {} failed ({} pending), next try within {} s: {}",
          finished,
          failed,
          pending.size(),
          tick.toSeconds(),
          first.toString());
    }
    return looked;
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
    // Nothing is deleted before the record is written: failing here, the request is to be
    // repeated (a record written all the same is found by the next look through all of them).
    catalog.recordTakedown(d, reason, at);
    inProgress.add(id);
    try {
      catalog.forget(id); // left out of answers from here on, before any delete
      index.delete(id);
      catalog.deleteRows(id);
    } catch (RuntimeException e) {
      // Recorded, not finished: the repair tries it again from the next tick on, and the request
      // may be repeated.
      pending.add(id);
      throw e;
    } finally {
      inProgress.remove(id);
    }
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
    repairs.shutdownNow();
    try {
      // A repair under way ends before the stores it uses are closed.
      repairs.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (producer != null) {
      producer.close();
    }
  }
}
