package io.memescope.flink.ingest;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.ModelAnnouncements;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualityScorer;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * loaded from the registry when the first image needs them, without a restart. While a version
 * cannot be loaded (the registry unreachable, or its parameters unreadable: retried every {@link
 * #RETRY_MILLIS}) the subtask scores with the version it had, or, having none (restored, or just
 * started), with the one that was live before it, as far as it can tell ({@link #older}). Until a
 * version has been published, and while none loads, images go on unscored, counted as {@code
 * quality_unscored}: scoring never holds up ingestion; the next version's re-scoring job scores
 * what was left unscored.
 *
 * <p>Each subtask also reads the models topic itself when it opens ({@link ModelAnnouncements}),
 * and scores with the newer of that and the broadcast state. A job restored from a checkpoint taken
 * before the newest publication would otherwise score the images it resumes with (in-flight data of
 * unaligned checkpoints comes first) with the older version until the broadcast catches up, and,
 * when it had been down longer than the re-scoring job's settle time, write them after that job had
 * finished, to stay on the older version until the next publication.
 */
final class ScoreAndRoute extends BroadcastProcessFunction<IndexEffect, ModelVersion, IndexEffect> {
  private static final Logger LOG = LoggerFactory.getLogger(ScoreAndRoute.class);
  static final long RETRY_MILLIS = 10_000;

  /**
   * The announced version, as JSON, under {@link ModelVersion#KEY}, and the one it replaced under
   * {@link #PREVIOUS}.
   */
  static final MapStateDescriptor<String, String> MODELS =
      new MapStateDescriptor<>("quality-models", Types.STRING, Types.STRING);

  /** The key of the announcement replaced by the current one (a key added on 2026-12-05). */
  static final String PREVIOUS = "previous";

  private final String config;
  private transient CqlSession session;
  private transient QualityRegistry registry;
  private transient QualityScorer scorer;
  // The registry's stamp of the scorer's version when it was loaded: a publication that goes back
  // from it (ModelVersion#rollsBack) withdraws it.
  private transient Instant scorerStamp;
  private transient String failedVersion;
  // The stamp of the announcement that failedVersion failed to load under: a new announcement of
  // it (published again) is tried at once, not after RETRY_MILLIS (a rollback must not wait).
  private transient Instant failedStamp;
  private transient String mismatchLogged;
  private transient long retryAt;
  private transient Counters rejects;
  private transient Counters indexed;
  private transient Counters quality;
  private transient MemescopeConfig settings;
  // The newest announcement on the models topic when this subtask opened; null: none, or unread.
  private transient ModelVersion atOpen;
  // The broadcast state's announcement last looked at, and the version it meant with atOpen.
  private transient String stateJson;
  private transient ModelVersion stateWanted;

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
    settings = new ConfigLoader().optText(config).load();
    try {
      atOpen = ModelAnnouncements.read(settings.kafka(), OPEN_READ_LIMIT).orElse(null);
    } catch (RuntimeException e) {
      LOG.warn(
          "could not read the models topic on opening; scoring with the restored version until"
              + " the topic's announcement arrives: {}",
          e.toString());
    }
  }

  /** How long opening waits for the models topic before going on with the broadcast state. */
  static final java.time.Duration OPEN_READ_LIMIT = java.time.Duration.ofSeconds(10);

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
    QualityScorer s = scorer(ctx.getBroadcastState(MODELS), e.vector().length);
    if (s == null) {
      quality.inc("unscored");
      out.collect(e);
      return;
    }
    if (e.vector().length != s.embeddingDim()) {
      // A model trained on another embedder's vectors: every image would fail. Said once per
      // version, not once per image; the images go on unscored.
      quality.inc("dimension_mismatch");
      if (!s.version().equals(mismatchLogged)) {
        mismatchLogged = s.version();
        LOG.warn(
            "quality model {} scores {}-dimensional embeddings, the embedder gives {}: images go"
                + " on unscored until a model trained on these embeddings is published",
            s.version(),
            s.embeddingDim(),
            e.vector().length);
      }
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
    if (current != null && !v.newerThan(have(current))) {
      return; // an older announcement (a replay): keep the newer one
    }
    if (current != null && !have(current).version().equals(v.version())) {
      // What a subtask that fails to load v falls back to; not v itself, published again.
      state.put(PREVIOUS, current);
    }
    state.put(ModelVersion.KEY, new String(Json.write(v), StandardCharsets.UTF_8));
  }

  private static ModelVersion have(String json) throws java.io.IOException {
    return Json.read(json.getBytes(StandardCharsets.UTF_8), ModelVersion.class);
  }

  /**
   * The version to score with: the broadcast state's, or the one read when opening where that is
   * newer (parsed only when the state changes, not for every image).
   */
  private ModelVersion wanted(ReadOnlyBroadcastState<String, String> state) throws Exception {
    String json = state.get(ModelVersion.KEY);
    if (json == null) {
      return atOpen;
    }
    if (!json.equals(stateJson)) {
      ModelVersion v = Json.read(json.getBytes(StandardCharsets.UTF_8), ModelVersion.class);
      stateWanted = atOpen != null && atOpen.newerThan(v) ? atOpen : v;
      stateJson = json;
    }
    return stateWanted;
  }

  /** The scorer of the version to score with, loading it on first use; null when there is none. */
  private QualityScorer scorer(ReadOnlyBroadcastState<String, String> state, int embeddingDim)
      throws Exception {
    ModelVersion wanted = wanted(state);
    if (wanted == null) {
      return null;
    }
    if (scorer != null && scorer.version().equals(wanted.version())) {
      // The usual case, every image. Published again while held, its newest stamp is the one a
      // later rollback compares (until 2026-12-07 the stamp it had when loaded).
      if (scorerStamp == null || wanted.createdAt().isAfter(scorerStamp)) {
        scorerStamp = wanted.createdAt();
      }
      return scorer;
    }
    if (wanted.version().equals(failedVersion)
        && wanted.createdAt().equals(failedStamp)
        && System.currentTimeMillis() < retryAt) {
      return scorer; // the previous version, if any, until the new one loads
    }
    try {
      if (registry == null) {
        session = Clients.cassandraKeyspace(settings.cassandra());
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
      scorerStamp = entry.createdAt();
      failedVersion = null;
      quality.inc("loaded");
      LOG.info("scoring with quality model {}", wanted.version());
      return scorer;
    } catch (RuntimeException ex) {
      quality.inc("load_failed");
      failedVersion = wanted.version();
      failedStamp = wanted.createdAt();
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
      if (scorer != null && wanted.rollsBack(scorerStamp)) {
        // Wanted was published again to roll back from the version held: that one is withdrawn,
        // and scoring on with it until wanted loads would stamp new images with it. It goes, as
        // {@link #older} passes it over. (Until 2026-12-06 a running subtask kept it.)
        LOG.warn(
            "stopped scoring with quality model {}: {} was published again to go back from it",
            scorer.version(),
            wanted.version());
        scorer.close();
        scorer = null;
      }
      if (scorer == null && registry != null) {
        Loaded fallback = older(wanted, embeddingDim, state);
        if (fallback != null) {
          scorer = fallback.scorer();
          scorerStamp = fallback.stamp();
        }
      }
      return scorer;
    }
  }

  /** How many registry entries a subtask with none loaded reads when the wanted one fails. */
  static final int FALLBACK_TRIES = 5;

  /**
   * A version older than {@code wanted} to score with while {@code wanted} cannot be loaded, or
   * null. A running subtask keeps its version when a newer one fails to load, unless the newer one
   * was published to roll back from it (then it drops it and comes here); one with none loaded
   * (restored, or just started) tries, in this order, the versions announced before {@code wanted}
   * that its broadcast state knows (the state's current one, where the models topic gave a newer
   * one on opening; then the one the state's current replaced, {@link #PREVIOUS}); then, where
   * those are unknown (a job started without state, or from a checkpoint taken before this key
   * existed: the compacted topic keeps the newest announcement alone) or do not load or fit, the
   * registry's versions stamped before {@code wanted}, newest first. The registry's order is its
   * last stamps', which after an unannounced publication is not the order the versions were live
   * in. A version that {@code wanted} goes back from ({@link ModelVersion#rollsBack}: stamped after
   * {@code wanted}'s earlier publication) is passed over, by its stamp in the announcement or the
   * registry: it was withdrawn. Only a version for the same rating dimensions and embedding length
   * qualifies; at most {@link #FALLBACK_TRIES} registry entries are read. The wanted version is
   * still retried every {@link #RETRY_MILLIS}.
   */
  private Loaded older(
      ModelVersion wanted, int embeddingDim, ReadOnlyBroadcastState<String, String> state)
      throws Exception {
    Map<String, Instant> candidates = new LinkedHashMap<>();
    for (String key : List.of(ModelVersion.KEY, PREVIOUS)) {
      String json = state.get(key);
      if (json != null) {
        ModelVersion v = have(json);
        if (wanted.newerThan(v)) {
          candidates.putIfAbsent(v.version(), v.createdAt());
        }
      }
    }
    try {
      // Registry stamps are whole milliseconds; announcements before 2026-12-05 carried micros.
      Instant before = wanted.createdAt().truncatedTo(ChronoUnit.MILLIS);
      for (QualityRegistry.Published p : registry.published()) {
        if (p.createdAt().isBefore(before)) {
          candidates.putIfAbsent(p.version(), p.createdAt());
        }
      }
    } catch (RuntimeException ex) {
      LOG.warn("cannot list the registry's older quality models: {}", ex.toString());
    }
    int tries = 0;
    for (Map.Entry<String, Instant> candidate : candidates.entrySet()) {
      String version = candidate.getKey();
      if (version.equals(wanted.version()) || wanted.rollsBack(candidate.getValue())) {
        continue;
      }
      if (tries++ == FALLBACK_TRIES) {
        break;
      }
      try {
        QualityRegistry.Entry entry = registry.get(version).orElse(null);
        if (entry == null
            || entry.spec().embeddingDim() != embeddingDim
            || !entry.spec().dimensions().equals(wanted.dimensions())
            || wanted.rollsBack(entry.createdAt())) {
          continue;
        }
        QualityScorer loaded = QualityScorer.load(entry);
        quality.inc("fallback");
        LOG.warn(
            "scoring with the older quality model {} until {} loads", version, wanted.version());
        return new Loaded(loaded, entry.createdAt());
      } catch (RuntimeException ex) {
        LOG.warn("cannot load the older quality model {} either: {}", version, ex.toString());
      }
    }
    return null;
  }

  /** A fallback scorer, with its version's stamp in the registry when it was loaded. */
  private record Loaded(QualityScorer scorer, Instant stamp) {}

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
