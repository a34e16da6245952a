package io.memescope.flink.rescore;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualityScorer;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.response.QueryResp;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-scores every image in the index with one quality model version, in the background, after the
 * trainer publishes it (the ingest job scores new images with it from then on). A bounded job in
 * batch mode: the id space is cut into 256 slices by the ids' first two hex digits, spread over the
 * subtasks; each slice is read from Milvus (with vectors), scored, and written back to Milvus
 * (quality) and Cassandra (quality, per-dimension scores, version). A slice with more images than
 * one Milvus query returns is cut again by the next digit. Writes are idempotent, so a failed
 * attempt restarts the job from the beginning without harm. When a newer version is published
 * meanwhile, the job stops at the next slice: that version's own re-scoring takes over.
 *
 * <p>Then a catch-up pass. The ingest job scores with the older version until the announcement
 * reaches it, and writes what it scored at its next checkpoint; such an image can land in a slice
 * after the slice was done, and would keep the older scores. So once every slice is done and {@code
 * trainer.rescore-settle} has passed since the version was published, the job scans Cassandra's
 * images by token range and re-scores every whole image that is not on this version (older, or
 * unscored), from its vector in Milvus.
 *
 * <pre>
 * flink run -c io.memescope.flink.rescore.RescoreJob flink-jobs-job.jar \
 *     --config-base64 &lt;settings&gt; --version q-20261124T011500Z-3f2a
 * </pre>
 */
public final class RescoreJob {
  static final int QUERY_LIMIT = 16_384;

  /** Images scored and written at a time. */
  static final int BATCH = 512;

  /** Parts of Cassandra's token ring the catch-up pass scans, spread over the subtasks. */
  static final int TOKEN_RANGES = 64;

  /**
   * Restarts of a failed attempt, the first one's wait, and the longest wait (doubling between): 2,
   * 4, 8, 16, then 30 s, some three and a half minutes in all.
   */
  static final int RESTART_ATTEMPTS = 10;

  static final Duration RESTART_FIRST_DELAY = Duration.ofSeconds(2);
  static final Duration RESTART_LONGEST_DELAY = Duration.ofSeconds(30);

  private static final String HEX = "0123456789abcdef";

  /**
   * How the job rides out a store away for a while (Milvus busy with the ingest job's loads,
   * Cassandra restarting): ending, it would leave the rest of the index on the older version until
   * the next publication. A job that fails for good (a model that cannot score) still ends.
   *
   * <p>Flink's exponential delay, not its fixed delay: in batch mode every subtask of the slices is
   * a failover region of its own, and a store that goes away fails all of them at once (and each
   * again as it restarts). The fixed-delay strategy counts each of those failures as an attempt, so
   * ten attempts lasted about 100 s divided by the parallelism (12 s at 8); the exponential one
   * counts the failures that arrive while a restart is pending as one (FLIP-364).
   */
  static Configuration restartPolicy() {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
    conf.set(
        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
        RESTART_FIRST_DELAY);
    conf.set(
        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF,
        RESTART_LONGEST_DELAY);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR, 0.1);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, RESTART_ATTEMPTS);
    conf.set(
        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD,
        Duration.ofMinutes(10));
    return conf;
  }

  private RescoreJob() {}

  public static void main(String[] args) throws Exception {
    String hocon = null;
    String version = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--config-base64" ->
            hocon = new String(Base64.getDecoder().decode(args[i + 1]), StandardCharsets.UTF_8);
        case "--version" -> version = args[i + 1];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (hocon == null || version == null) {
      throw new IllegalArgumentException(
          "usage: RescoreJob --config-base64 <settings> --version <quality model version>");
    }
    MemescopeConfig config = new ConfigLoader().optText(hocon).load();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(restartPolicy());
    pipeline(env, hocon, version, config.ingest().parallelism());
    env.execute(jobName(config, version));
  }

  /**
   * The job's stages, in batch mode. The slices and the catch-up pass run at {@code parallelism},
   * set on each: left to Flink's adaptive batch scheduler (the environment's parallelism is only
   * its upper bound), 256 two-letter slices are too little data for more than one subtask, and
   * until 2026-12-06 the whole index was re-scored by one.
   */
  static void pipeline(
      StreamExecutionEnvironment env, String hocon, String version, int parallelism) {
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.setParallelism(parallelism);
    List<String> slices = new ArrayList<>();
    for (char a : HEX.toCharArray()) {
      for (char b : HEX.toCharArray()) {
        slices.add("" + a + b);
      }
    }
    // Batch mode: each stage starts when the one before it has finished, so the catch-up scan
    // runs after the last slice.
    env.fromData(slices)
        .name("id slices")
        .rebalance()
        .process(new RescoreSlice(hocon, version))
        .name("re-score " + version)
        .setParallelism(parallelism)
        .keyBy(n -> 0)
        .reduce(Integer::sum)
        .name("every slice done")
        .flatMap(new Settle(hocon, version))
        .name("wait for the ingest job to settle")
        .rebalance()
        .process(new CatchUp(hocon, version))
        .name("catch up " + version)
        .setParallelism(parallelism)
        .sinkTo(new DiscardingSink<>())
        .name("done");
  }

  /** The Milvus rows of {@code ids}, every field with the vector, read with strong consistency. */
  static List<QueryResp.QueryResult> rows(MilvusClientV2 milvus, String collection, List<?> ids) {
    return milvus
        .query(
            QueryReq.builder()
                .collectionName(collection)
                .filter(MilvusCollection.idIn(ids))
                .outputFields(List.of("*"))
                .consistencyLevel(ConsistencyLevel.STRONG)
                .build())
        .getQueryResults();
  }

  /** The job's name: the ingest job's, the version. */
  public static String jobName(MemescopeConfig config, String version) {
    return config.ingest().jobName() + "-rescore-" + version;
  }

  /**
   * What both passes share: the stores, the version's scorer, and writing scores back to both
   * stores without bringing back an image taken down meanwhile.
   */
  abstract static class Rescorer<I> extends ProcessFunction<I, Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(Rescorer.class);

    final String hocon;
    final String version;
    transient MilvusClientV2 milvus;
    transient CqlSession session;
    transient String collection;
    private transient QualityRegistry registry;
    private transient QualityScorer scorer;
    private transient Instant createdAt;
    private transient PreparedStatement setQuality;
    private transient PreparedStatement existing;
    private transient PreparedStatement deleteImage;
    private transient PreparedStatement takenDownIds;
    private transient Counter takenDown;
    private transient Counter rescored;
    private transient Counter superseded;
    private transient Counter unscorable;
    private transient Gson gson;

    private final String rescoredMetric;

    /**
     * @param rescoredMetric the counter of the images this pass re-scores
     */
    Rescorer(String hocon, String version, String rescoredMetric) {
      this.hocon = hocon;
      this.version = version;
      this.rescoredMetric = rescoredMetric;
    }

    @Override
    public void open(OpenContext context) {
      MemescopeConfig config = new ConfigLoader().optText(hocon).load();
      collection = config.milvus().collection();
      gson = new Gson();
      milvus = Clients.milvus(config.milvus());
      session = Clients.cassandraKeyspace(config.cassandra());
      registry = new QualityRegistry(session);
      QualityRegistry.Entry entry = registered(registry, version);
      createdAt = entry.createdAt();
      scorer = QualityScorer.load(entry);
      setQuality =
          session.prepare(
              "UPDATE images SET quality = ?, quality_version = ?, quality_scores = ? WHERE id = ?");
      existing = session.prepare("SELECT id, sha256 FROM images WHERE id IN ?");
      // Only what the UPDATE above wrote: a row delete would also hide, for good, the sightings
      // the index writer dates in the past (last_seen) if the image is written again.
      deleteImage =
          session.prepare(
              "DELETE quality, quality_version, quality_scores FROM images WHERE id = ?");
      takenDownIds = session.prepare("SELECT image_id FROM takedowns_by_image WHERE image_id IN ?");
      rescored = getRuntimeContext().getMetricGroup().counter(rescoredMetric);
      takenDown = getRuntimeContext().getMetricGroup().counter("quality_rescore_taken_down");
      // Slices and token ranges skipped (the name predates the catch-up pass).
      superseded = getRuntimeContext().getMetricGroup().counter("quality_superseded_slices");
      unscorable = getRuntimeContext().getMetricGroup().counter("quality_rescore_unscorable");
    }

    /** Whether a newer version has been published since (its own job takes over). */
    boolean superseded(String what) {
      var latest = registry.latest();
      if (supersedes(latest, version, createdAt)) {
        superseded.inc();
        LOG.info("{} skipped: {} supersedes {}", what, latest.get().version(), version);
        return true;
      }
      return false;
    }

    /**
     * Which {@code quality_version}s are stale for this version: none (unscored), or a version
     * stamped before this one, or one the registry does not know. An image on a newer version (one
     * published with trainer.rescore off, so that no job cancelled this one, or the ingest job's
     * newer scores) is left alone.
     */
    java.util.function.Predicate<String> staleVersions() {
      Map<String, Instant> stamps = new HashMap<>();
      for (QualityRegistry.Published e : registry.published()) {
        stamps.put(e.version(), e.createdAt());
      }
      return on -> {
        if (on == null) {
          return true;
        }
        Instant stamp = stamps.get(on);
        return !on.equals(version) && (stamp == null || !stamp.isAfter(createdAt));
      };
    }

    /** Scores Milvus rows (with their vectors) and writes them back; returns how many. */
    int write(List<QueryResp.QueryResult> all) {
      // Checked for every batch, not only every slice: a slice is up to 16 queries and many
      // batches, and images already on a newer version must not be put back on this one.
      if (all.isEmpty() || superseded("a batch of " + all.size() + " images")) {
        return 0;
      }
      // Only images that still exist: one taken down since the slice was read must not come back.
      List<String> allIds = new ArrayList<>();
      for (QueryResp.QueryResult r : all) {
        allIds.add((String) r.getEntity().get(MilvusCollection.ID));
      }
      Set<String> alive = indexed(allIds);
      List<QueryResp.QueryResult> rows = new ArrayList<>();
      List<String> notWhole = new ArrayList<>();
      for (QueryResp.QueryResult r : all) {
        String id = (String) r.getEntity().get(MilvusCollection.ID);
        if (alive.contains(id)) {
          rows.add(r);
        } else {
          notWhole.add(id);
        }
      }
      removeTakenDown(notWhole);
      if (rows.isEmpty()) {
        return 0;
      }
      List<JsonObject> objects = new ArrayList<>(rows.size());
      float[][] vectors = new float[rows.size()][];
      for (int i = 0; i < rows.size(); i++) {
        JsonObject o = gson.toJsonTree(rows.get(i).getEntity()).getAsJsonObject();
        var v = o.getAsJsonArray(MilvusCollection.VECTOR);
        vectors[i] = new float[v.size()];
        for (int j = 0; j < v.size(); j++) {
          vectors[i][j] = v.get(j).getAsFloat();
        }
        objects.add(o);
      }
      if (vectors[0].length != scorer.embeddingDim()) {
        // Every image would fail: a model trained on another embedder's vectors. Said once, and
        // the job fails, rather than skipping the whole index image by image.
        throw new IllegalStateException(
            "quality model "
                + version
                + " scores "
                + scorer.embeddingDim()
                + "-dimensional embeddings, the index holds "
                + vectors[0].length
                + ": train and publish a model on this index's embeddings");
      }
      QualityScorer.Score[] scores;
      try {
        scores = scorer.score(vectors);
      } catch (RuntimeException batch) {
        // An image the model cannot score (a non-finite score) must not end the job, which would
        // fail again on the same batch after every restart: score one by one, and leave out (on
        // the older version, counted) those that fail.
        List<JsonObject> kept = new ArrayList<>();
        List<QualityScorer.Score> keptScores = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
          try {
            keptScores.add(scorer.score(new float[][] {vectors[i]})[0]);
            kept.add(objects.get(i));
          } catch (RuntimeException one) {
            unscorable.inc();
            LOG.warn(
                "{}: cannot score image {}, left on its older version: {}",
                version,
                objects.get(i).get(MilvusCollection.ID).getAsString(),
                one.toString());
          }
        }
        objects = kept;
        scores = keptScores.toArray(new QualityScorer.Score[0]);
        if (objects.isEmpty()) {
          return 0;
        }
      }
      for (int i = 0; i < objects.size(); i++) {
        objects.get(i).addProperty(MilvusCollection.QUALITY, scores[i].overall());
      }
      // Milvus first, then Cassandra: a batch cut short between the two (a store gone away, the
      // job restarted) leaves Cassandra on the older version, which the catch-up pass reads to
      // find what is stale, rather than Cassandra saying the new version over Milvus's old score
      // (which serving filters and sorts by).
      milvus.upsert(UpsertReq.builder().collectionName(collection).data(objects).build());
      List<CompletableFuture<?>> cql = new ArrayList<>();
      for (int i = 0; i < objects.size(); i++) {
        JsonObject o = objects.get(i);
        cql.add(
            session
                .executeAsync(
                    setQuality.bind(
                        scores[i].overall(),
                        version,
                        scores[i].dimensions(),
                        o.get(MilvusCollection.ID).getAsString()))
                .toCompletableFuture());
      }
      CompletableFuture.allOf(cql.toArray(new CompletableFuture<?>[0])).join();
      // A takedown between the check above and these writes deleted the image from both stores
      // first: the upsert re-inserted its vector and the UPDATE a row of quality columns alone.
      // Undo both for whatever is no longer a whole image. A takedown under way (recorded, then
      // the vector deleted, then the rows) can also have deleted the vector before the upsert and
      // the rows only after the check: its record, written before either delete, says so, and
      // the upsert's vector goes again (its rows are the takedown's to delete).
      List<String> written = new ArrayList<>();
      for (JsonObject o : objects) {
        written.add(o.get(MilvusCollection.ID).getAsString());
      }
      Set<String> stillAlive = indexed(written);
      Set<String> recorded = takedownsRecorded(written);
      List<Object> gone = new ArrayList<>();
      for (String id : written) {
        if (!stillAlive.contains(id)) {
          gone.add(id);
          session.execute(deleteImage.bind(id));
        } else if (recorded.contains(id)) {
          gone.add(id);
        }
      }
      if (!gone.isEmpty()) {
        milvus.delete(DeleteReq.builder().collectionName(collection).ids(gone).build());
        takenDown.inc(gone.size());
      }
      rescored.inc(objects.size() - gone.size());
      return objects.size() - gone.size();
    }

    /**
     * Deletes, from both stores, the vectors among {@code notWhole} (in Milvus, with no whole image
     * in Cassandra) that have a takedown recorded: an earlier attempt's upsert brought them back
     * after the takedown, and the attempt ended (failed, or cancelled by a newer publication)
     * before its check after the writes. Left alone, such a vector stays searchable for good: this
     * pass would skip it as not whole, and the catch-up pass reads only whole images. A vector
     * without a takedown record is left alone: it may be an image the ingest job is writing.
     */
    private void removeTakenDown(List<String> notWhole) {
      if (notWhole.isEmpty()) {
        return;
      }
      Set<String> recorded = takedownsRecorded(notWhole);
      if (recorded.isEmpty()) {
        return;
      }
      for (String id : recorded) {
        session.execute(deleteImage.bind(id)); // the quality columns that attempt wrote
      }
      milvus.delete(
          DeleteReq.builder()
              .collectionName(collection)
              .ids(new ArrayList<Object>(recorded))
              .build());
      takenDown.inc(recorded.size());
      LOG.warn(
          "{}: deleted {} vectors of taken-down images that an earlier attempt had put back",
          version,
          recorded.size());
    }

    /** Which of {@code ids} have a takedown recorded. */
    private Set<String> takedownsRecorded(List<String> ids) {
      Set<String> out = new HashSet<>();
      for (Row r : selectIn(takenDownIds, ids)) {
        out.add(r.getString("image_id"));
      }
      return out;
    }

    /** Which of {@code ids} are whole images in Cassandra (a row with its content hash). */
    private Set<String> indexed(List<String> ids) {
      Set<String> out = new HashSet<>();
      for (Row r : selectIn(existing, ids)) {
        if (r.getString("sha256") != null) {
          out.add(r.getString("id"));
        }
      }
      return out;
    }

    /** The rows {@code select} (one {@code IN ?} marker) finds for {@code ids}, 100 keys a read. */
    private List<Row> selectIn(PreparedStatement select, List<String> ids) {
      List<Row> out = new ArrayList<>();
      for (int from = 0; from < ids.size(); from += 100) {
        session
            .execute(select.bind(ids.subList(from, Math.min(ids.size(), from + 100))))
            .forEach(out::add);
      }
      return out;
    }

    @Override
    public void close() {
      if (scorer != null) {
        scorer.close();
      }
      if (session != null) {
        session.close();
      }
      if (milvus != null) {
        milvus.close();
      }
    }
  }

  /**
   * Whether the registry's newest version is another one, published after {@code createdAt}. The
   * same version published again (a newer stamp) does not supersede its own job.
   */
  static boolean supersedes(
      java.util.Optional<QualityRegistry.Published> latest, String version, Instant createdAt) {
    return latest.isPresent()
        && !latest.get().version().equals(version)
        && latest.get().createdAt().isAfter(createdAt);
  }

  static QualityRegistry.Entry registered(QualityRegistry registry, String version) {
    return registry
        .get(version)
        .orElseThrow(() -> new IllegalStateException("version " + version + " is not registered"));
  }

  /** Scores one slice of ids; emits how many images it re-scored. */
  static final class RescoreSlice extends Rescorer<String> {
    RescoreSlice(String hocon, String version) {
      super(hocon, version, "quality_rescored");
    }

    @Override
    public void processElement(String slice, Context ctx, Collector<Integer> out) {
      if (!superseded("slice " + slice)) {
        out.collect(rescore(slice));
      }
    }

    private int rescore(String prefix) {
      List<QueryResp.QueryResult> rows =
          milvus
              .query(
                  QueryReq.builder()
                      .collectionName(collection)
                      .filter(MilvusCollection.ID + " like \"" + prefix + "%\"")
                      .outputFields(List.of("*"))
                      .limit(QUERY_LIMIT)
                      .consistencyLevel(ConsistencyLevel.STRONG)
                      .build())
              .getQueryResults();
      if (rows.size() >= QUERY_LIMIT) {
        int n = 0;
        for (char c : HEX.toCharArray()) {
          n += rescore(prefix + c);
        }
        return n;
      }
      int n = 0;
      for (int from = 0; from < rows.size(); from += BATCH) {
        n += write(rows.subList(from, Math.min(rows.size(), from + BATCH)));
      }
      return n;
    }
  }

  /**
   * Waits, once every slice is done, until {@code trainer.rescore-settle} has passed since the
   * version was published: by then the ingest job scores with it, and what it scored with the older
   * one has been written. Then emits the token ranges for the catch-up pass, unless a newer version
   * has been published.
   */
  static final class Settle extends RichFlatMapFunction<Integer, Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(Settle.class);

    private final String hocon;
    private final String version;

    Settle(String hocon, String version) {
      this.hocon = hocon;
      this.version = version;
    }

    @Override
    public void flatMap(Integer rescored, Collector<Integer> out) throws InterruptedException {
      MemescopeConfig config = new ConfigLoader().optText(hocon).load();
      try (CqlSession session = Clients.cassandraKeyspace(config.cassandra())) {
        QualityRegistry registry = new QualityRegistry(session);
        Instant createdAt = registered(registry, version).createdAt();
        Duration settle = config.trainer().rescoreSettle();
        // A publisher's clock ahead of this one waits no longer than the settle time itself.
        Instant until = min(createdAt.plus(settle), Instant.now().plus(settle));
        Duration wait = Duration.between(Instant.now(), until);
        LOG.info(
            "{}: {} images re-scored; the catch-up pass starts in {} s",
            version,
            rescored,
            Math.max(0, wait.toSeconds()));
        if (!wait.isNegative()) {
          Thread.sleep(wait.toMillis());
        }
        var latest = registry.latest();
        if (supersedes(latest, version, createdAt)) {
          LOG.info("no catch-up: {} supersedes {}", latest.get().version(), version);
          return;
        }
      }
      for (int i = 0; i < TOKEN_RANGES; i++) {
        out.collect(i);
      }
    }

    private static Instant min(Instant a, Instant b) {
      return a.isBefore(b) ? a : b;
    }
  }

  /**
   * The catch-up pass over one token range of Cassandra's images: every whole image (with its
   * content hash) whose scores are not this version's, older or none, is scored again from its
   * Milvus vector.
   */
  static final class CatchUp extends Rescorer<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);
    private transient PreparedStatement scan;

    CatchUp(String hocon, String version) {
      super(hocon, version, "quality_caught_up");
    }

    @Override
    public void open(OpenContext context) {
      super.open(context);
      scan =
          session.prepare(
              "SELECT id, sha256, quality_version FROM images"
                  + " WHERE token(id) > ? AND token(id) <= ?");
    }

    @Override
    public void processElement(Integer range, Context ctx, Collector<Integer> out) {
      if (superseded("token range " + range)) {
        return;
      }
      long[] bounds = tokenRange(range, TOKEN_RANGES);
      java.util.function.Predicate<String> isStale = staleVersions();
      List<Object> stale = new ArrayList<>();
      int n = 0;
      for (Row r : session.execute(scan.bind(bounds[0], bounds[1]).setPageSize(1000))) {
        if (r.getString("sha256") != null && isStale.test(r.getString("quality_version"))) {
          stale.add(r.getString("id"));
          if (stale.size() == BATCH) {
            n += rescore(stale);
            stale.clear();
          }
        }
      }
      if (!stale.isEmpty()) {
        n += rescore(stale);
      }
      if (n > 0) {
        LOG.info("{}: caught up {} images in token range {}", version, n, range);
      }
      out.collect(n);
    }

    private int rescore(List<Object> ids) {
      // A strong read: the default (bounded) can miss vectors written in the last seconds, and
      // those images would stay on the older version.
      List<QueryResp.QueryResult> rows = RescoreJob.rows(milvus, collection, ids);
      if (rows.size() < ids.size()) {
        // In Cassandra but no longer in Milvus: a takedown under way, which deletes the rows too.
        LOG.info("{}: {} stale images have no vector in Milvus", version, ids.size() - rows.size());
      }
      return write(rows);
    }
  }

  /**
   * Range {@code i} of {@code n} equal parts of the Murmur3 token ring, as (exclusive, inclusive]
   * bounds: together they cover every token exactly once.
   */
  static long[] tokenRange(int i, int n) {
    BigInteger min = BigInteger.valueOf(Long.MIN_VALUE);
    BigInteger span = BigInteger.valueOf(Long.MAX_VALUE).subtract(min);
    long lo =
        min.add(span.multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(n))).longValue();
    long hi =
        i == n - 1
            ? Long.MAX_VALUE
            : min.add(span.multiply(BigInteger.valueOf(i + 1)).divide(BigInteger.valueOf(n)))
                .longValue();
    return new long[] {lo, hi};
  }
}
