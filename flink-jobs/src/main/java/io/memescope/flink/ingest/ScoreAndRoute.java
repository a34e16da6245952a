package io.memescope.flink.ingest;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualityScorer;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores new images with the current quality model and routes the embedder's rejections to the
 * rejects. The current version comes from the models topic, broadcast to every subtask and kept in
 * broadcast state (so a restored job knows it before the topic is read again); its parameters are
 * loaded from the registry when the first image needs them, without a restart. Until a version has
 * been published, and while a version cannot be loaded (the registry unreachable: retried every
 * {@link #RETRY_MILLIS}), images go on unscored, counted as {@code quality_unscored}: scoring never
 * holds up ingestion; the next version's re-scoring job scores what was left unscored.
 */
final class ScoreAndRoute extends BroadcastProcessFunction<IndexEffect, ModelVersion, IndexEffect> {
  private static final Logger LOG = LoggerFactory.getLogger(ScoreAndRoute.class);
  static final long RETRY_MILLIS = 10_000;

  /** The announced version, as JSON, under {@link ModelVersion#KEY}. */
  static final MapStateDescriptor<String, String> MODELS =
      new MapStateDescriptor<>("quality-models", Types.STRING, Types.STRING);

  private final String config;
  private transient CqlSession session;
  private transient QualityRegistry registry;
  private transient QualityScorer scorer;
  // The announcement (JSON, as in the broadcast state) that the scorer was loaded for.
  private transient String announced;
  private transient String failedVersion;
  private transient long retryAt;
  private transient Counters rejects;
  private transient Counters indexed;
  private transient Counters quality;

  /**
   * @param config the settings as HOCON ({@link MemescopeConfig#render()})
   */
  ScoreAndRoute(String config) {
    this.config = config;
  }

  @Override
  public void open(org.apache.flink.api.common.functions.OpenContext context) {
    var metrics = getRuntimeContext().getMetricGroup();
    rejects = new Counters(metrics, "rejects");
    indexed = new Counters(metrics, "indexed");
    quality = new Counters(metrics, "quality");
  }

  @Override
  public void processElement(IndexEffect e, ReadOnlyContext ctx, Collector<IndexEffect> out)
      throws Exception {
    if (IndexEffect.REJECTED.equals(e.kind())) {
      rejects.inc(e.rejection().reason());
      ctx.output(IngestJob.REJECTS, e.rejection());
      return;
    }
    indexed.inc(e.kind());
    if (!IndexEffect.NEW.equals(e.kind())) {
      out.collect(e);
      return;
    }
    QualityScorer s = scorer(ctx.getBroadcastState(MODELS));
    if (s == null) {
      quality.inc("unscored");
      out.collect(e);
      return;
    }
    QualityScorer.Score score;
    try {
      score = s.score(new float[][] {e.vector()})[0];
    } catch (RuntimeException ex) {
      // A model that cannot score (a native error, a non-finite score) must not fail the job:
      // restored with the same broadcast state, it would fail again on the next image, forever.
      quality.inc("score_failed");
      LOG.warn("quality model {} failed on image {}: {}", s.version(), e.imageId(), ex.toString());
      out.collect(e);
      return;
    }
    quality.inc("scored");
    out.collect(
        e.scored(new IndexEffect.Quality(s.version(), score.overall(), score.dimensions())));
  }

  @Override
  public void processBroadcastElement(ModelVersion v, Context ctx, Collector<IndexEffect> out)
      throws Exception {
    BroadcastState<String, String> state = ctx.getBroadcastState(MODELS);
    String current = state.get(ModelVersion.KEY);
    if (current != null) {
      ModelVersion have = Json.read(current.getBytes(StandardCharsets.UTF_8), ModelVersion.class);
      if (!v.newerThan(have)) {
        return; // an older announcement (a replay): keep the newer one
      }
    }
    state.put(ModelVersion.KEY, new String(Json.write(v), StandardCharsets.UTF_8));
  }

  /** The scorer of the announced version, loading it on first use; null when there is none. */
  private QualityScorer scorer(ReadOnlyBroadcastState<String, String> state) throws Exception {
    String json = state.get(ModelVersion.KEY);
    if (json == null) {
      return null;
    }
    if (json.equals(announced) && scorer != null) {
      return scorer; // the usual case, every image: no parsing
    }
    ModelVersion wanted = Json.read(json.getBytes(StandardCharsets.UTF_8), ModelVersion.class);
    if (scorer != null && scorer.version().equals(wanted.version())) {
      announced = json;
      return scorer;
    }
    if (wanted.version().equals(failedVersion) && System.currentTimeMillis() < retryAt) {
      return scorer; // the previous version, if any, until the new one loads
    }
    try {
      if (registry == null) {
        MemescopeConfig c = new ConfigLoader().optText(config).load();
        session = Clients.cassandraKeyspace(c.cassandra());
        registry = new QualityRegistry(session);
      }
      QualityRegistry.Entry entry =
          registry
              .get(wanted.version())
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "version " + wanted.version() + " is not in the registry"));
      QualityScorer loaded = QualityScorer.load(entry);
      if (scorer != null) {
        scorer.close();
      }
      scorer = loaded;
      announced = json;
      failedVersion = null;
      quality.inc("loaded");
      LOG.info("scoring with quality model {}", wanted.version());
      return scorer;
    } catch (RuntimeException ex) {
      quality.inc("load_failed");
      failedVersion = wanted.version();
      retryAt = System.currentTimeMillis() + RETRY_MILLIS;
      LOG.warn(
          "cannot load quality model {} (retrying in {} s): {}",
          wanted.version(),
          RETRY_MILLIS / 1000,
          ex.toString());
      if (session != null && registry == null) {
        session.close();
        session = null;
      }
      return scorer;
    }
  }

  @Override
  public void close() throws Exception {
    if (scorer != null) {
      scorer.close();
    }
    if (session != null) {
      session.close();
    }
  }
}
