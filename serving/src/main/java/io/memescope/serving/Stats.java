package io.memescope.serving;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.model.ModelMetadata;
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
  private Admin admin;

  Stats(KafkaSettings kafka, Index index, ModelMetadata model) {
    this.kafka = kafka;
    this.index = index;
    this.model = model;
  }

  void start() {
    sampler.scheduleWithFixedDelay(this::sample, 0, SAMPLE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
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

  Map<String, Object> snapshot() {
    Map<String, Object> out = new LinkedHashMap<>();
    Long images = null;
    try {
      images = index.count();
    } catch (ApiException e) {
      // reported as null: stats stay up while Milvus is down
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
    // The quality model and its versions come with the trainer (issue 8).
    models.put("quality", null);
    out.put("models", models);
    return out;
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
    }
  }
}
