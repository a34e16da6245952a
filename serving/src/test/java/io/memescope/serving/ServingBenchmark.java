package io.memescope.serving;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.memescope.core.schema.Schema;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.utility.request.FlushReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.data.BaseVector;
import io.milvus.v2.service.vector.request.data.FloatVec;
import io.milvus.v2.service.vector.response.SearchResp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Search latency and throughput through the API against Milvus alone, and the recall of the index
 * settings against exact search (issue 6). {@code infra/bench/serving.sh [VECTORS] [RECALL_DIM]}.
 *
 * <p>Synthetic, clustered unit vectors (2,000 Gaussian centres with noise, as embeddings of a
 * corpus cluster by subject) go into a fresh Milvus collection with the stack's index settings, and
 * a row per image into a fresh Cassandra keyspace (metadata, two thumbnail records, a URL), so that
 * the API does all of its work. The query is three weighted text terms; Milvus alone gets the same
 * vector, the same page size, output fields and search parameters.
 */
public final class ServingBenchmark {
  static final int CENTRES = 2000;
  static final int LIMIT = 30;
  static final MediaType JSON = MediaType.get("application/json");
  static final String[] VOCAB = {
    "cat", "dog", "coffee", "monday", "deploy", "friday", "bug", "pizza", "rain", "build", "boss",
    "weekend", "code", "sleep", "meeting", "cake", "train", "moon", "beach", "exam"
  };

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int recallDim = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    // Another Milvus than the stack's (Milvus standalone from infra/bench/milvus_standalone.py).
    String milvusPort = args.length > 2 ? args[2] : "";
    TestStack.config();
    String run = TestStack.uniqueName("bench");
    Map<String, String> overrides = new java.util.HashMap<>();
    overrides.put("milvus.collection", run);
    overrides.put("cassandra.keyspace", run);
    overrides.put("serving.rate-limit", "1000000");
    overrides.put("serving.rate-burst", "1000000");
    if (!milvusPort.isEmpty()) {
      overrides.put("milvus.port", milvusPort);
    }
    // Any setting, as -Dset.KEY=VALUE (e.g. -Dset.serving.metadata-cache=0s).
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("set.")) {
        overrides.put(name.substring(4), System.getProperty(name));
        System.out.println("setting " + name.substring(4) + " = " + System.getProperty(name));
      }
    }
    MemescopeConfig config = TestStack.load(overrides);
    System.out.println("Milvus at " + config.milvus().uri() + ", " + n + " vectors");
    Schema.apply(config);
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try (ClipEncoder encoder =
        ClipEncoder.load(config.model().dir(), config.model().encoderOptions())) {
      int dim = encoder.metadata().embeddingDim();
      float[][] vectors = clustered(n, dim, 42);
      load(config, milvus, vectors);
      try (ServingApp app = new ServingApp(config, encoder, "")) {
        String base = "http://127.0.0.1:" + app.start("127.0.0.1", 0);
        QueryVectors qv =
            new QueryVectors(
                encoder,
                null,
                10_000,
                kind -> {},
                new ModelGate(1, java.time.Duration.ofMinutes(1)));
        List<String> bodies = new ArrayList<>();
        List<float[]> queryVectors = new ArrayList<>();
        Random r = new Random(7);
        for (int i = 0; i < 200; i++) {
          String a = VOCAB[r.nextInt(VOCAB.length)];
          String b = VOCAB[r.nextInt(VOCAB.length)] + " " + i;
          String c = VOCAB[r.nextInt(VOCAB.length)];
          bodies.add(
              "{\"limit\":%d,\"terms\":[{\"text\":\"%s\",\"weight\":1},{\"text\":\"%s\",\"weight\":0.5},{\"text\":\"%s\",\"weight\":-0.5}]}"
                  .formatted(LIMIT, a, b, c));
          queryVectors.add(
              qv.combine(
                  List.of(
                      new SearchRequest.Term(a, null, null, null, 1f),
                      new SearchRequest.Term(b, null, null, null, 0.5f),
                      new SearchRequest.Term(c, null, null, null, -0.5f))));
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int ef = config.serving().searchEf();
        // Cold: the first request of each query also runs the text tower for its new terms.
        long[] cold = new long[bodies.size()];
        for (int i = 0; i < bodies.size(); i++) {
          long t0 = System.nanoTime();
          api(http, base, bodies.get(i));
          cold[i] = System.nanoTime() - t0;
        }
        System.out.println("cold API (text embeddings computed): " + summary(cold));
        // Two HTTP clients: the JDK's (asynchronous inside: every exchange hops between its
        // selector thread and the caller), and OkHttp, a blocking client that does the exchange on
        // the calling thread, as most API clients do. The server is the same.
        OkHttpClient ok = new OkHttpClient.Builder().build();
        // -Dbench.rounds=N for more rounds (5 by default); round 1 still warms the JIT and the
        // caches, so rounds 2 to N are pooled.
        int rounds = Math.max(2, Integer.getInteger("bench.rounds", 5));
        long[][] pooled = new long[4][(rounds - 1) * 1000];
        for (int round = 1; round <= rounds; round++) {
          // The six calls run in a new random order for every query, so that none always follows
          // the same one (the JDK client's selector thread, for one, is still busy for a moment
          // after its call returns).
          long[][] times = new long[6][1000];
          long[] apiTimes = times[0];
          long[] okTimes = times[1];
          long[] plainTimes = times[2];
          long[] milvusTimes = times[3];
          long[] floorTimes = times[4];
          long[] okFloorTimes = times[5];
          HttpRequest health = HttpRequest.newBuilder(URI.create(base + "/health")).build();
          Request okHealth = new Request.Builder().url(base + "/health").build();
          List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5));
          Random shuffle = new Random(round);
          for (int i = 0; i < apiTimes.length; i++) {
            int q = i % bodies.size();
            Collections.shuffle(order, shuffle);
            for (int call : order) {
              long t0 = System.nanoTime();
              switch (call) {
                case 0 -> api(http, base, bodies.get(q));
                case 1 -> api(ok, base, bodies.get(q));
                case 2 -> api(ok, base, bodies.get(q), "identity");
                case 3 -> direct(milvus, config, queryVectors.get(q), ef);
                case 4 -> http.send(health, HttpResponse.BodyHandlers.discarding());
                default -> {
                  try (Response hr = ok.newCall(okHealth).execute()) {
                    hr.body().bytes();
                  }
                }
              }
              times[call][i] = System.nanoTime() - t0;
            }
          }
          System.out.printf(
              "round %d, 1 client, 1000 queries each, interleaved in random order:%n"
                  + "  API, JDK HttpClient  %s%n  API, OkHttp          %s%n"
                  + "  API, OkHttp, no gzip %s%n  Milvus alone         %s%n"
                  + "  GET /health, JDK     %s%n  GET /health, OkHttp  %s%n"
                  + "  API / Milvus: JDK p50 %.2fx p99 %.2fx, OkHttp p50 %.2fx p99 %.2fx%n",
              round,
              summary(apiTimes),
              summary(okTimes),
              summary(plainTimes),
              summary(milvusTimes),
              summary(floorTimes),
              summary(okFloorTimes),
              quantile(apiTimes, 0.5) / quantile(milvusTimes, 0.5),
              quantile(apiTimes, 0.99) / quantile(milvusTimes, 0.99),
              quantile(okTimes, 0.5) / quantile(milvusTimes, 0.5),
              quantile(okTimes, 0.99) / quantile(milvusTimes, 0.99));
          if (round > 1) {
            System.arraycopy(apiTimes, 0, pooled[0], (round - 2) * 1000, 1000);
            System.arraycopy(okTimes, 0, pooled[1], (round - 2) * 1000, 1000);
            System.arraycopy(milvusTimes, 0, pooled[2], (round - 2) * 1000, 1000);
            System.arraycopy(plainTimes, 0, pooled[3], (round - 2) * 1000, 1000);
          }
        }
        System.out.printf(
            "rounds 2-%d pooled:%n  API, JDK HttpClient  %s%n  API, OkHttp          %s%n"
                + "  API, OkHttp, no gzip %s%n  Milvus alone         %s%n"
                + "  API / Milvus: JDK p50 %.2fx p99 %.2fx, OkHttp p50 %.2fx p99 %.2fx,"
                + " OkHttp without gzip p50 %.2fx p99 %.2fx%n",
            rounds,
            summary(pooled[0]),
            summary(pooled[1]),
            summary(pooled[3]),
            summary(pooled[2]),
            quantile(pooled[0], 0.5) / quantile(pooled[2], 0.5),
            quantile(pooled[0], 0.99) / quantile(pooled[2], 0.99),
            quantile(pooled[1], 0.5) / quantile(pooled[2], 0.5),
            quantile(pooled[1], 0.99) / quantile(pooled[2], 0.99),
            quantile(pooled[3], 0.5) / quantile(pooled[2], 0.5),
            quantile(pooled[3], 0.99) / quantile(pooled[2], 0.99));
        for (int clients : new int[] {4}) {
          double apiRate =
              throughput(clients, 20, i -> api(http, base, bodies.get(i % bodies.size())));
          double okRate =
              throughput(clients, 20, i -> api(ok, base, bodies.get(i % bodies.size())));
          double milvusRate =
              throughput(
                  clients,
                  20,
                  i -> direct(milvus, config, queryVectors.get(i % queryVectors.size()), ef));
          System.out.printf(
              "throughput, %d clients, 20 s each: API %.0f queries/s (JDK client), %.0f (OkHttp),"
                  + " Milvus alone %.0f queries/s (%.2fx, %.2fx)%n",
              clients, apiRate, okRate, milvusRate, apiRate / milvusRate, okRate / milvusRate);
        }
        for (int e : new int[] {32, 64, 128, 256}) {
          System.out.printf(
              "recall@10 at dimension %d (ef %d): %.4f%n",
              dim, e, recall(milvus, config.milvus().collection(), vectors, queryVectors, e));
        }
      }
      milvus.dropCollection(
          DropCollectionReq.builder().collectionName(config.milvus().collection()).build());
      if (recallDim > 0 && recallDim != dim) {
        String name = run + "_d" + recallDim;
        new MilvusCollection(milvus, config.milvus()).ensure(name, recallDim);
        float[][] big = clustered(n, recallDim, 43);
        insert(milvus, name, big);
        List<float[]> queries = new ArrayList<>();
        Random q = new Random(8);
        for (int i = 0; i < 200; i++) {
          queries.add(QueryVectors.unit(big[q.nextInt(n)].clone()));
          float[] v = queries.get(i);
          for (int d = 0; d < recallDim; d++) {
            v[d] += (float) (q.nextGaussian() * 0.05);
          }
          queries.set(i, QueryVectors.unit(v));
        }
        int ef = config.serving().searchEf();
        long[] times = new long[1000];
        Map<String, String> big2 = new java.util.HashMap<>(overrides);
        big2.put("milvus.collection", name);
        MemescopeConfig bigConfig = TestStack.load(big2);
        for (int i = 0; i < times.length; i++) {
          long t0 = System.nanoTime();
          direct(milvus, bigConfig, queries.get(i % queries.size()), ef);
          times[i] = System.nanoTime() - t0;
        }
        System.out.printf("dimension %d, Milvus alone, 1 client: %s%n", recallDim, summary(times));
        // Queries in another direction than the data, as text queries are to image embeddings.
        List<float[]> away = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          float[] v = new float[recallDim];
          for (int d = 0; d < recallDim; d++) {
            v[d] = (float) q.nextGaussian();
          }
          away.add(QueryVectors.unit(v));
        }
        for (int e : new int[] {32, 64, 128, 256}) {
          System.out.printf(
              "recall@10 at dimension %d (ef %d): %.4f near stored vectors, %.4f random directions%n",
              recallDim,
              e,
              recall(milvus, name, big, queries, e),
              recall(milvus, name, big, away, e));
        }
        milvus.dropCollection(DropCollectionReq.builder().collectionName(name).build());
      }
    } finally {
      milvus.close();
    }
    try (CqlSession cql = Clients.cassandra(config.cassandra())) {
      cql.execute("DROP KEYSPACE IF EXISTS " + config.cassandra().keyspace());
    }
  }

  interface Call {
    void run(int i) throws Exception;
  }

  static double throughput(int clients, int seconds, Call call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong done = new AtomicLong();
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      int offset = c * 50;
      futures.add(
          CompletableFuture.runAsync(
              () -> {
                int i = offset;
                while (!stop.get()) {
                  try {
                    call.run(i++);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  done.incrementAndGet();
                }
              },
              pool));
    }
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
    pool.shutdown();
    return done.get() / ((System.nanoTime() - t0) / 1e9);
  }

  static void api(OkHttpClient ok, String base, String body) throws Exception {
    api(ok, base, body, null);
  }

  /**
   * One search through OkHttp, which asks for gzip and inflates the answer itself unless {@code
   * acceptEncoding} says otherwise.
   */
  static void api(OkHttpClient ok, String base, String body, String acceptEncoding)
      throws Exception {
    Request.Builder request =
        new Request.Builder().url(base + "/api/search").post(RequestBody.create(body, JSON));
    if (acceptEncoding != null) {
      request.header("Accept-Encoding", acceptEncoding);
    }
    try (Response r = ok.newCall(request.build()).execute()) {
      byte[] bytes = r.body().bytes();
      if (r.code() != 200 || bytes.length < 1000) {
        throw new IllegalStateException("API answered " + r.code() + ": " + new String(bytes));
      }
    }
  }

  static void api(HttpClient http, String base, String body) throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/search"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200 || r.body().length < 1000) {
      throw new IllegalStateException(
          "API answered " + r.statusCode() + ": " + new String(r.body()));
    }
  }

  static List<SearchResp.SearchResult> direct(
      MilvusClientV2 milvus, MemescopeConfig config, float[] vector, int ef) {
    return milvus
        .search(
            SearchReq.builder()
                .collectionName(config.milvus().collection())
                .annsField(MilvusCollection.VECTOR)
                .data(List.<BaseVector>of(new FloatVec(vector)))
                .limit(LIMIT)
                .outputFields(
                    List.of(
                        MilvusCollection.QUALITY,
                        MilvusCollection.SOURCE,
                        MilvusCollection.FIRST_SEEN))
                .searchParams(Map.of("ef", Math.max(ef, LIMIT)))
                .consistencyLevel(ConsistencyLevel.BOUNDED)
                .build())
        .getSearchResults()
        .get(0);
  }

  static double recall(
      MilvusClientV2 milvus, String collection, float[][] vectors, List<float[]> queries, int ef) {
    double hits = 0;
    for (float[] q : queries) {
      Set<String> exact = new HashSet<>(exactTop(vectors, q, 10));
      List<SearchResp.SearchResult> found =
          milvus
              .search(
                  SearchReq.builder()
                      .collectionName(collection)
                      .annsField(MilvusCollection.VECTOR)
                      .data(List.<BaseVector>of(new FloatVec(q)))
                      .limit(10)
                      .searchParams(Map.of("ef", ef))
                      .build())
              .getSearchResults()
              .get(0);
      for (SearchResp.SearchResult r : found) {
        if (exact.contains(String.valueOf(r.getId()))) {
          hits++;
        }
      }
    }
    return hits / (10.0 * queries.size());
  }

  static List<String> exactTop(float[][] vectors, float[] q, int k) {
    Integer[] order = new Integer[vectors.length];
    double[] score = new double[vectors.length];
    for (int i = 0; i < vectors.length; i++) {
      order[i] = i;
      double s = 0;
      for (int d = 0; d < q.length; d++) {
        s += vectors[i][d] * (double) q[d];
      }
      score[i] = s;
    }
    Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
    List<String> top = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      top.add(id(order[i]));
    }
    return top;
  }

  static float[][] clustered(int n, int dim, long seed) {
    Random r = new Random(seed);
    float[][] centres = new float[CENTRES][dim];
    for (float[] c : centres) {
      for (int d = 0; d < dim; d++) {
        c[d] = (float) r.nextGaussian();
      }
    }
    float[][] out = new float[n][];
    double noise = 0.6;
    for (int i = 0; i < n; i++) {
      float[] c = centres[r.nextInt(CENTRES)];
      float[] v = new float[dim];
      for (int d = 0; d < dim; d++) {
        v[d] = (float) (c[d] + noise * r.nextGaussian());
      }
      out[i] = QueryVectors.unit(v);
    }
    return out;
  }

  static String id(int i) {
    return "%032x".formatted(i);
  }

  static void load(MemescopeConfig config, MilvusClientV2 milvus, float[][] vectors)
      throws Exception {
    insert(milvus, config.milvus().collection(), vectors);
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      PreparedStatement image =
          cql.prepare(
              "INSERT INTO images (id, sha256, phash, width, height, format, byte_size, titles,"
                  + " sources, first_seen, last_seen, quality, first_url) VALUES (?, ?, ?, ?, ?,"
                  + " 'JPEG', ?, ?, ?, ?, ?, 0, ?)");
      PreparedStatement thumb =
          cql.prepare(
              "INSERT INTO image_thumbnails (image_id, size, format, width, height, data) VALUES"
                  + " (?, ?, 'JPEG', ?, ?, ?)");
      PreparedStatement url =
          cql.prepare(
              "INSERT INTO image_urls (url_hash, url, image_id, source, title, first_seen) VALUES"
                  + " (?, ?, ?, 'bench', ?, ?)");
      List<CompletableFuture<?>> inFlight = new ArrayList<>();
      Instant now = Instant.now();
      ByteBuffer empty = ByteBuffer.allocate(0);
      for (int i = 0; i < vectors.length; i++) {
        String id = id(i);
        int w = 300 + i % 500;
        int h = 200 + (i * 7) % 600;
        inFlight.add(
            cql.executeAsync(
                    image.bind(
                        id,
                        id + id,
                        (long) i,
                        w,
                        h,
                        50_000L + i,
                        Set.of("meme " + i),
                        Set.of("bench"),
                        now,
                        now,
                        "https://example.org/m/" + i + ".jpg"))
                .toCompletableFuture());
        inFlight.add(
            cql.executeAsync(thumb.bind(id, "small", 256, 256 * h / w, empty))
                .toCompletableFuture());
        inFlight.add(
            cql.executeAsync(
                    thumb.bind(id, "large", Math.min(720, w), Math.min(720, w) * h / w, empty))
                .toCompletableFuture());
        inFlight.add(
            cql.executeAsync(
                    url.bind(id, "https://example.org/m/" + i + ".jpg", id, "meme " + i, now))
                .toCompletableFuture());
        if (inFlight.size() >= 512) {
          CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0])).join();
          inFlight.clear();
        }
        if ((i + 1) % 20_000 == 0) {
          System.out.printf("cassandra: %,d of %,d images written%n", i + 1, vectors.length);
        }
      }
      CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0])).join();
    }
  }

  static void insert(MilvusClientV2 milvus, String collection, float[][] vectors) {
    Gson gson = new Gson();
    long t0 = System.nanoTime();
    for (int from = 0; from < vectors.length; from += 2000) {
      List<JsonObject> rows = new ArrayList<>();
      for (int i = from; i < Math.min(vectors.length, from + 2000); i++) {
        JsonObject row = new JsonObject();
        row.addProperty(MilvusCollection.ID, id(i));
        row.add(MilvusCollection.VECTOR, gson.toJsonTree(vectors[i]));
        row.addProperty(MilvusCollection.QUALITY, 0f);
        row.addProperty(MilvusCollection.SOURCE, "bench");
        row.addProperty(MilvusCollection.FIRST_SEEN, System.currentTimeMillis());
        rows.add(row);
      }
      milvus.insert(InsertReq.builder().collectionName(collection).data(rows).build());
      if ((from / 2000) % 10 == 9) {
        System.out.printf(
            "milvus %s: %,d of %,d vectors inserted%n", collection, from + 2000, vectors.length);
      }
    }
    milvus.flush(FlushReq.builder().collectionNames(List.of(collection)).build());
    // Measure the index, not a brute-force scan of segments still being indexed.
    long lastRows = -1;
    long lastProgress = System.nanoTime();
    while (System.nanoTime() - lastProgress < 30_000_000_000L) {
      var desc =
          milvus
              .describeIndex(
                  io.milvus.v2.service.index.request.DescribeIndexReq.builder()
                      .collectionName(collection)
                      .fieldName(MilvusCollection.VECTOR)
                      .build())
              .getIndexDescriptions()
              .get(0);
      if (desc.getIndexedRows() >= vectors.length || desc.getTotalRows() == 0) {
        System.out.printf(
            "milvus %s: index %s built over %,d rows%n",
            collection, desc.getIndexType(), desc.getIndexedRows());
        break;
      }
      if (desc.getIndexedRows() != lastRows) {
        lastRows = desc.getIndexedRows();
        lastProgress = System.nanoTime();
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    System.out.printf(
        "milvus %s: %,d vectors inserted and flushed in %.0f s%n",
        collection, vectors.length, (System.nanoTime() - t0) / 1e9);
  }

  static double quantile(long[] nanos, double q) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[(int) (s.length * q)];
  }

  static String summary(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, mean %.2f ms"
        .formatted(
            s[s.length / 2] / 1e6,
            s[(int) (s.length * 0.9)] / 1e6,
            s[(int) (s.length * 0.99)] / 1e6,
            Arrays.stream(s).average().orElse(0) / 1e6);
  }
}
