package io.memescope.serving;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.model.ModelMetadata;
import io.memescope.core.quality.ModelAnnouncements;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.KafkaTopics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code GET /api/stats} reports: images in the index, the ingest rate (events per second on
 * {@code memescope.ingest.indexed} over the last minute, sampled from the topic's end offsets every
 * few seconds) and the models in use. A store that cannot be reached gives nulls, not an error.
 */
final class Stats implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Stats.class);
  static final Duration WINDOW = Duration.ofSeconds(60);
  static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);
  static final Duration QUALITY_EVERY = Duration.ofSeconds(10);

  private record Sample(long nanos, long offsets) {}

  private final KafkaSettings kafka;
  private final Index index;
  private final ModelMetadata model;
  private final Deque<Sample> samples = new ArrayDeque<>();
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "stats-sampler");
            t.setDaemon(true);
            return t;
          });
  private final Stores stores;
  private volatile Map<String, Object> quality; // written only by the sampler thread
  private Admin admin;
  private ModelAnnouncements announcements; // used only by the sampler thread

  Stats(KafkaSettings kafka, Index index, ModelMetadata model, Stores stores) {
    this.kafka = kafka;
    this.index = index;
    this.model = model;
    this.stores = stores;
  }

  /**
   * The quality model version the ingest job follows (the newest well-formed announcement on the
   * models topic, not the newest version in the registry: a publication whose announcement failed
   * is registered but not live), as last read by the sampler thread. Null before one is announced
   * or before the topic was first read. Never reads a store itself, so a request never waits.
   */
  private Map<String, Object> qualityModel() {
    return quality;
  }

  /**
   * Reads what was announced since the last call (on the sampler thread, every QUALITY_EVERY), and
   * whether the registry holds a newer version that was never announced. While Kafka is away the
   * last version read stays; while Cassandra is away the newer-version check is left out.
   */
  private void refreshQuality() {
    try {
      if (announcements == null) {
        announcements = new ModelAnnouncements(kafka);
      }
      announcements.refresh(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      LOG.debug("cannot read the models topic: {}", e.toString());
    }
    ModelVersion live = announcements == null ? null : announcements.followed().orElse(null);
    if (live == null) {
      quality = null;
      return;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", live.version());
    m.put("createdAt", live.createdAt().toString());
    m.put("dimensions", live.dimensions());
    m.put("members", live.members());
    m.put("trainingPairs", live.trainingPairs());
    m.put("metrics", live.metrics());
    if (Thread.currentThread().isInterrupted()) {
      return; // closing: no new Cassandra session after close() gave up waiting
    }
    try {
      stores
          .cassandra(s -> new QualityRegistry(s).latest())
          .filter(e -> e.createdAt().isAfter(live.createdAt()))
          // the live version re-stamped by a `train publish` whose announcement failed: not newer
          .filter(e -> !e.version().equals(live.version()))
          .ifPresent(e -> m.put("newerNotAnnounced", e.version()));
    } catch (RuntimeException e) {
      LOG.debug("cannot read the quality model registry: {}", e.toString());
    }
    quality = m;
  }

  void start() {
    sampler.scheduleWithFixedDelay(this::sample, 0, SAMPLE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    sampler.scheduleWithFixedDelay(
        this::refreshQuality, 0, QUALITY_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void sample() {
    try {
      if (admin == null) {
        admin = Clients.kafkaAdmin(kafka);
      }
      String topic = kafka.topic("ingest-indexed").name();
      long total = 0;
      for (long end : KafkaTopics.endOffsets(admin, topic, Duration.ofSeconds(10)).values()) {
        total += end;
      }
      synchronized (samples) {
        long now = System.nanoTime();
        samples.addLast(new Sample(now, total));
        while (samples.size() > 2 && now - samples.peekFirst().nanos() > WINDOW.toNanos()) {
          samples.removeFirst();
        }
      }
    } catch (Exception e) {
      LOG.debug("cannot sample the indexed topic: {}", e.toString());
      synchronized (samples) {
        samples.clear();
      }
    }
  }

  /** Indexed events per second over the window, or null before two samples. */
  Double ingestRate() {
    synchronized (samples) {
      if (samples.size() < 2) {
        return null;
      }
      Sample first = samples.peekFirst();
      Sample last = samples.peekLast();
      double seconds = (last.nanos() - first.nanos()) / 1e9;
      return seconds <= 0 ? null : (last.offsets() - first.offsets()) / seconds;
    }
  }

  /** The live quality model version, or null (none published, or the registry unreachable). */
  String qualityVersion() {
    Map<String, Object> q = qualityModel();
    return q == null ? null : (String) q.get("version");
  }

  Map<String, Object> snapshot() {
    Map<String, Object> out = new LinkedHashMap<>();
    Long images = null;
    try {
      images = index.count();
    } catch (RuntimeException e) {
      // reported as null: stats stay up while Milvus is down, answers without a count, or refuses
      // (its client's own exceptions: a collection not there yet)
    }
    out.put("images", images);
    Map<String, Object> ingest = new LinkedHashMap<>();
    ingest.put("indexedPerSecond", ingestRate());
    ingest.put("window", WINDOW.toSeconds() + "s");
    out.put("ingest", ingest);
    Map<String, Object> embedding = new LinkedHashMap<>();
    embedding.put("name", model.name());
    embedding.put("pretrained", model.pretrained());
    embedding.put("dimension", model.embeddingDim());
    embedding.put("testModel", model.tiny());
    Map<String, Object> models = new LinkedHashMap<>();
    models.put("embedding", embedding);
    models.put("quality", qualityModel());
    out.put("models", models);
    return out;
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    boolean stopped = false;
    try {
      stopped = sampler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!stopped) {
      return; // the sampler still holds its clients (not thread-safe): they die with the process
    }
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
    }
    if (announcements != null) {
      announcements.close();
    }
  }
}
