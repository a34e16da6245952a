package io.memescope.flink.rescore;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualityScorer;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.response.QueryResp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
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
 * <pre>
 * flink run -c io.memescope.flink.rescore.RescoreJob flink-jobs-job.jar \
 *     --config-base64 &lt;settings&gt; --version q-20261124T011500Z-3f2a
 * </pre>
 */
public final class RescoreJob {
  static final int QUERY_LIMIT = 16_384;
  private static final String HEX = "0123456789abcdef";

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
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.setParallelism(config.ingest().parallelism());
    List<String> slices = new ArrayList<>();
    for (char a : HEX.toCharArray()) {
      for (char b : HEX.toCharArray()) {
        slices.add("" + a + b);
      }
    }
    env.fromData(slices)
        .name("id slices")
        .rebalance()
        .process(new RescoreSlice(hocon, version))
        .name("re-score " + version)
        .sinkTo(new DiscardingSink<>())
        .name("done");
    env.execute(jobName(config, version));
  }

  /** The job's name: the ingest job's, the version. */
  public static String jobName(MemescopeConfig config, String version) {
    return config.ingest().jobName() + "-rescore-" + version;
  }

  /** Scores one slice of ids; emits how many images it re-scored. */
  static final class RescoreSlice extends ProcessFunction<String, Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RescoreSlice.class);

    private final String hocon;
    private final String version;
    private transient MilvusClientV2 milvus;
    private transient CqlSession session;
    private transient QualityRegistry registry;
    private transient QualityScorer scorer;
    private transient java.time.Instant createdAt;
    private transient PreparedStatement setQuality;
    private transient PreparedStatement existing;
    private transient PreparedStatement deleteImage;
    private transient Counter takenDown;
    private transient String collection;
    private transient Counter rescored;
    private transient Counter superseded;
    private transient Gson gson;

    RescoreSlice(String hocon, String version) {
      this.hocon = hocon;
      this.version = version;
    }

    @Override
    public void open(OpenContext context) {
      MemescopeConfig config = new ConfigLoader().optText(hocon).load();
      collection = config.milvus().collection();
      gson = new Gson();
      milvus = Clients.milvus(config.milvus());
      session = Clients.cassandraKeyspace(config.cassandra());
      registry = new QualityRegistry(session);
      QualityRegistry.Entry entry =
          registry
              .get(version)
              .orElseThrow(
                  () -> new IllegalStateException("version " + version + " is not registered"));
      createdAt = entry.createdAt();
      scorer = QualityScorer.load(entry);
      setQuality =
          session.prepare(
              "UPDATE images SET quality = ?, quality_version = ?, quality_scores = ? WHERE id = ?");
      existing = session.prepare("SELECT id, sha256 FROM images WHERE id IN ?");
      deleteImage = session.prepare("DELETE FROM images WHERE id = ?");
      rescored = getRuntimeContext().getMetricGroup().counter("quality_rescored");
      takenDown = getRuntimeContext().getMetricGroup().counter("quality_rescore_taken_down");
      superseded = getRuntimeContext().getMetricGroup().counter("quality_superseded_slices");
    }

    @Override
    public void processElement(String slice, Context ctx, Collector<Integer> out) {
      var latest = registry.latest();
      if (latest.isPresent() && latest.get().createdAt().isAfter(createdAt)) {
        superseded.inc();
        LOG.info("slice {} skipped: {} supersedes {}", slice, latest.get().version(), version);
        return;
      }
      out.collect(rescore(slice));
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
                      .build())
              .getQueryResults();
      if (rows.size() >= QUERY_LIMIT) {
        int n = 0;
        for (char c : HEX.toCharArray()) {
          n += rescore(prefix + c);
        }
        return n;
      }
      for (int from = 0; from < rows.size(); from += 512) {
        write(rows.subList(from, Math.min(rows.size(), from + 512)));
      }
      return rows.size();
    }

    private void write(List<QueryResp.QueryResult> all) {
      // Only images that still exist: one taken down since the slice was read must not come back.
      List<String> allIds = new ArrayList<>();
      for (QueryResp.QueryResult r : all) {
        allIds.add((String) r.getEntity().get(MilvusCollection.ID));
      }
      java.util.Set<String> alive = indexed(allIds);
      List<QueryResp.QueryResult> rows = new ArrayList<>();
      for (QueryResp.QueryResult r : all) {
        if (alive.contains((String) r.getEntity().get(MilvusCollection.ID))) {
          rows.add(r);
        }
      }
      if (rows.isEmpty()) {
        return;
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
      QualityScorer.Score[] scores = scorer.score(vectors);
      List<CompletableFuture<?>> cql = new ArrayList<>();
      for (int i = 0; i < objects.size(); i++) {
        JsonObject o = objects.get(i);
        o.addProperty(MilvusCollection.QUALITY, scores[i].overall());
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
      milvus.upsert(UpsertReq.builder().collectionName(collection).data(objects).build());
      CompletableFuture.allOf(cql.toArray(new CompletableFuture<?>[0])).join();
      // A takedown between the check above and these writes deleted the image from both stores
      // first: the upsert re-inserted its vector and the UPDATE a row of quality columns alone.
      // Undo both for whatever is no longer a whole image.
      List<String> written = new ArrayList<>();
      for (JsonObject o : objects) {
        written.add(o.get(MilvusCollection.ID).getAsString());
      }
      java.util.Set<String> stillAlive = indexed(written);
      List<Object> gone = new ArrayList<>();
      for (String id : written) {
        if (!stillAlive.contains(id)) {
          gone.add(id);
          session.execute(deleteImage.bind(id));
        }
      }
      if (!gone.isEmpty()) {
        milvus.delete(
            io.milvus.v2.service.vector.request.DeleteReq.builder()
                .collectionName(collection)
                .ids(gone)
                .build());
        takenDown.inc(gone.size());
      }
      rescored.inc(objects.size() - gone.size());
    }

    /** Which of {@code ids} are whole images in Cassandra (a row with its content hash). */
    private java.util.Set<String> indexed(List<String> ids) {
      java.util.Set<String> out = new java.util.HashSet<>();
      for (int from = 0; from < ids.size(); from += 100) {
        for (com.datastax.oss.driver.api.core.cql.Row r :
            session.execute(existing.bind(ids.subList(from, Math.min(ids.size(), from + 100))))) {
          if (r.getString("sha256") != null) {
            out.add(r.getString("id"));
          }
        }
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
}
