package io.memescope.serving;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ServingSettings;
import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.embed.DecodeMemory;
import io.memescope.core.image.Thumbnailer;
import io.memescope.core.records.Json;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving API and the search UI: one Javalin server. Its routes are listed in {@link
 * #routes()}, which the OpenAPI document ({@code openapi.json}) must match, route for route (a test
 * checks it).
 */
public final class ServingApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServingApp.class);
  static final String UI = "/io/memescope/serving/ui";
  static final String OPENAPI = "/io/memescope/serving/openapi.json";
  static final List<String> THUMB_SIZES =
      Thumbnailer.SIZES.stream().map(Thumbnailer.Size::name).toList();

  /** One route of the API; {@code admin} routes need the admin key, others are rate-limited. */
  record Route(HandlerType method, String path, boolean admin, Handler handler) {}

  private final MemescopeConfig config;
  private final ServingSettings settings;
  private final ObjectMapper requestReader;
  private final String adminKey;
  private final Stores stores;
  private final Index index;
  private final Catalog catalog;
  private final ClipEncoder encoder;
  private final QueryVectors queryVectors;
  private final Searcher searcher;
  private final Takedowns takedowns;
  private final Stats stats;
  private final List<Path> fileRoots;
  private final Cache<String, Bucket> buckets =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(10)).build();

  /** Each client's admin requests refused for the key (missing or wrong). */
  private final Cache<String, Bucket> keyFailures =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(10)).build();

  /**
   * Admin requests a client may have refused for their key in a minute (and at once): past them,
   * every admin request of that client is a 429 until the minute has given one back, the right key
   * too, so that guessing goes no faster. Until 2026-12-08 the admin endpoints had no limit at all.
   */
  static final int KEY_FAILURES_PER_MINUTE = 10;

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests;
  private final Counter errors;
  private final Histogram latency;
  private final byte[] openApi;
  private final byte[] indexPage;
  private final ExpositionFormats exposition = ExpositionFormats.init();
  private Javalin app;

  /**
   * @param adminKey the admin endpoints' key; empty disables them
   */
  public ServingApp(MemescopeConfig config, ClipEncoder encoder, String adminKey) {
    this.config = config;
    this.settings = config.serving();
    this.requestReader = requestReader(settings);
    this.adminKey = adminKey == null ? "" : adminKey;
    this.encoder = encoder;
    this.stores = new Stores(config);
    this.index = new Index(stores, config.milvus().collection(), settings.searchEf());
    this.catalog = new Catalog(stores, settings.metadataCache(), settings.metadataMaxAge());
    Counter embeddings =
        Counter.builder()
            .name("memescope_query_embeddings_total")
            .help("Query terms run through the model, by kind (cached ones are not counted)")
            .labelNames("kind")
            .register(registry);
    this.queryVectors =
        new QueryVectors(
            encoder,
            index,
            10_000,
            kind -> embeddings.labelValues(kind).inc(),
            new ModelGate(2 * config.model().workers(), settings.modelWait()));
    this.searcher = new Searcher(index, catalog, queryVectors, settings.qualitySortWindow());
    this.takedowns = new Takedowns(catalog, index, config.kafka());
    this.stats = new Stats(config.kafka(), index, encoder.metadata(), stores);
    this.fileRoots =
        settings.fileRoots().isEmpty() ? config.ingest().fileRootPaths() : settings.fileRoots();
    this.requests =
        Counter.builder()
            .name("memescope_http_requests_total")
            .help("HTTP requests answered, by route and status")
            .labelNames("method", "route", "status")
            .register(registry);
    this.errors =
        Counter.builder()
            .name("memescope_http_errors_total")
            .help("HTTP requests answered with a 4xx or 5xx status, by route and status")
            .labelNames("method", "route", "status")
            .register(registry);
    this.latency =
        Histogram.builder()
            .name("memescope_http_request_duration_seconds")
            .help("Time to answer an HTTP request, by route")
            .labelNames("method", "route")
            .classicUpperBounds(
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder()
        .name("memescope_model_info")
        .help("The models in use: 1 per kind (embedding, quality) and version")
        .labelNames("kind", "version")
        .callback(
            cb -> {
              cb.call(1, "embedding", encoder.metadata().name());
              String quality = stats.qualityVersion();
              if (quality != null) {
                cb.call(1, "quality", quality);
              }
            })
        .register(registry);
    // Query images are decoded within the process's budgets (heap, and off it for OpenCV): a
    // budget that stays full means uploads wait for each other.
    DecodeMemory heap = DecodeMemory.shared();
    DecodeMemory offHeap = DecodeMemory.offHeap();
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder()
        .name("memescope_decode_memory_bytes")
        .help(
            "Memory for decoding query images, by pool (heap; native: OpenCV's, off the heap):"
                + " the budget (capacity) and what decodes hold now (reserved)")
        .labelNames("pool", "state")
        .callback(
            cb -> {
              cb.call(heap.capacity(), "heap", "capacity");
              cb.call(heap.reserved(), "heap", "reserved");
              cb.call(offHeap.capacity(), "native", "capacity");
              cb.call(offHeap.reserved(), "native", "reserved");
            })
        .register(registry);
    this.openApi = resource(OPENAPI);
    this.indexPage = resource(UI + "/index.html");
  }

  /** Every route of the API, for the server and for the test that checks the OpenAPI document. */
  List<Route> routes() {
    return List.of(
        new Route(HandlerType.POST, "/api/search", false, this::search),
        new Route(HandlerType.GET, "/api/images/{id}", false, this::image),
        new Route(HandlerType.GET, "/api/images/{id}/similar", false, this::similar),
        new Route(HandlerType.GET, "/api/images/{id}/thumbnail/{size}", false, this::thumbnail),
        new Route(HandlerType.GET, "/api/images/{id}/original", false, this::original),
        new Route(HandlerType.DELETE, "/api/images/{id}", true, this::takedown),
        new Route(HandlerType.GET, "/api/stats", false, ctx -> json(ctx, stats.snapshot())),
        new Route(HandlerType.GET, "/health", false, ctx -> json(ctx, Map.of("status", "ok"))),
        new Route(HandlerType.GET, "/openapi.json", false, this::openApi));
  }

  /** Starts on {@code port} (0: any free port) and returns the port. */
  public int start(String host, int port) {
    app =
        Javalin.create(
            c -> {
              c.http.maxRequestSize = settings.maxUploadBytes() * 4 / 3 + 65_536;
              c.http.prefer405over404 = true; // GET /api/search: wrong method, not missing
              Compression.configure(c, settings.gzipLoopback());
              c.startup.showJavalinBanner = false;
              c.staticFiles.add(
                  s -> {
                    s.hostedPath = "/ui";
                    s.directory = UI;
                    s.location = Location.CLASSPATH;
                    // The same policy as "/", which serves the same page.
                    s.headers =
                        Map.of("Cache-Control", "no-cache", "Content-Security-Policy", csp());
                  });
              c.routes.before(this::before);
              c.routes.after(this::after);
              for (Route r : routes()) {
                c.routes.addHttpHandler(r.method(), r.path(), guarded(r));
              }
              c.routes.get("/", this::index);
              c.routes.get("/metrics", this::metrics);
              c.routes.exception(ApiException.class, this::apiError);
              c.routes.exception(HttpResponseException.class, this::httpError);
              c.routes.exception(
                  com.fasterxml.jackson.core.exc.StreamConstraintsException.class,
                  (e, ctx) ->
                      apiError(
                          ApiException.badRequest(
                              "body",
                              "is too large or nested too deep: at most "
                                  + settings.maxTerms()
                                  + " terms, an embedding of at most "
                                  + MAX_EMBEDDING
                                  + " numbers, nested at most "
                                  + MAX_NESTING
                                  + " deep"),
                          ctx));
              c.routes.exception(
                  JsonProcessingException.class,
                  (e, ctx) ->
                      apiError(
                          ApiException.badRequest(
                              "body",
                              "is not valid JSON: " + io.memescope.core.records.Json.describe(e)),
                          ctx));
              c.routes.exception(Exception.class, this::internalError);
            });
    app.start(host, port);
    stats.start();
    takedowns.start(settings.takedownRepair());
    return app.port();
  }

  public int port() {
    return app.port();
  }

  private Handler guarded(Route r) {
    return ctx -> {
      ctx.attribute("route", r.path());
      if (r.admin()) {
        authorize(ctx);
      } else if (!"/health".equals(r.path())) {
        // A wall of results loads dozens of thumbnails at once: each costs a fifth of a request.
        rateLimit(ctx, r.path().endsWith("/thumbnail/{size}") ? 1 : TOKENS);
      }
      // The API's routes only: the search page reads its own address, and takes a stray % there.
      checkQuery(ctx.queryString());
      r.handler().handle(ctx);
    };
  }

  private void before(Context ctx) {
    ctx.attribute("t0", System.nanoTime());
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "same-origin");
  }

  /**
   * Refuses a query string of an API route that is not percent-encoded correctly (after the rate
   * limit, and counted under its route). Left to the server, a parameter such as {@code
   * ?reason=50%off} was dropped without a word, and the takedown went on without its reason.
   */
  static void checkQuery(String query) {
    if (query == null) {
      return;
    }
    for (String part : query.split("&")) {
      try {
        java.net.URLDecoder.decode(part, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        String name = part.contains("=") ? part.substring(0, part.indexOf('=')) : part;
        String field;
        try {
          field = java.net.URLDecoder.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException badName) {
          field = "query";
        }
        throw ApiException.badRequest(
            field.length() > 64 ? "query" : field,
            "is not percent-encoded correctly (a % must start %XX; write % itself as %25)");
      }
    }
  }

  private void after(Context ctx) {
    Long t0 = ctx.attribute("t0");
    String route = ctx.attribute("route");
    if (route == null) {
      route =
          ctx.path().startsWith("/ui/") || "/".equals(ctx.path())
              ? "ui"
              : ctx.path().equals("/metrics") ? "/metrics" : "unmatched";
    }
    String method = io.memescope.core.net.HttpMethods.label(ctx.method().name());
    int status = ctx.status().getCode();
    requests.labelValues(method, route, Integer.toString(status)).inc();
    if (status >= 400) {
      errors.labelValues(method, route, Integer.toString(status)).inc();
    }
    if (t0 != null) {
      latency.labelValues(method, route).observe((System.nanoTime() - t0) / 1e9);
    }
  }

  /**
   * The client's address: the remote address, or, for a request from a trusted reverse proxy
   * ({@code serving.trusted-proxies}), the client its {@code X-Forwarded-For} names ({@link
   * io.memescope.core.net.ClientAddress}).
   */
  String client(Context ctx) {
    return io.memescope.core.net.ClientAddress.of(
        ctx.req().getRemoteAddr(),
        java.util.Collections.list(ctx.req().getHeaders("X-Forwarded-For")),
        settings.trustedProxies());
  }

  /** Tokens per request in the rate limiter's buckets; a thumbnail costs one. */
  static final int TOKENS = 5;

  private void rateLimit(Context ctx, int tokens) {
    // An IPv6 client's whole /64: it can send each request from another address of it.
    String client = io.memescope.core.net.ClientAddress.limitKey(client(ctx));
    Bucket bucket =
        buckets.get(
            client,
            ip ->
                Bucket.builder()
                    .addLimit(
                        l ->
                            l.capacity((long) settings.rateBurst() * TOKENS)
                                .refillGreedy(
                                    (long) settings.rateLimit() * TOKENS, Duration.ofSeconds(1)))
                    .build());
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(tokens);
    // In requests, as the limit is given: what this client may still send at once.
    ctx.header("X-RateLimit-Remaining", Long.toString(probe.getRemainingTokens() / TOKENS));
    if (!probe.isConsumed()) {
      int wait =
          (int) Math.min(3600, Math.max(1, Math.ceil(probe.getNanosToWaitForRefill() / 1e9)));
      throw new ApiException(
          429, "too many requests from " + client + "; retry in " + wait + " s", null, wait, null);
    }
  }

  private void authorize(Context ctx) {
    if (adminKey.isEmpty()) {
      throw new ApiException(
          403, "admin endpoints are disabled: no admin key is configured", null, 0, null);
    }
    String client = io.memescope.core.net.ClientAddress.limitKey(client(ctx));
    Bucket failures =
        keyFailures.get(
            client,
            c ->
                Bucket.builder()
                    .addLimit(
                        l ->
                            l.capacity(KEY_FAILURES_PER_MINUTE)
                                .refillGreedy(KEY_FAILURES_PER_MINUTE, Duration.ofMinutes(1)))
                    .build());
    // Charged before the key is looked at, and given back when it is right: a check alone let a
    // burst of guesses sent at once all pass it before the first of them was charged.
    ConsumptionProbe charged = failures.tryConsumeAndReturnRemaining(1);
    if (!charged.isConsumed()) {
      int wait = (int) Math.max(1, Math.ceil(charged.getNanosToWaitForRefill() / 1e9));
      throw new ApiException(
          429,
          "too many admin requests with a wrong or missing key from "
              + client
              + "; retry in "
              + wait
              + " s",
          null,
          wait,
          null);
    }
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ApiException(
          401, "this endpoint needs the admin key: Authorization: Bearer <key>", null, 0, null);
    }
    // Digests of equal length, so that the comparison's time does not tell the key's length.
    if (!MessageDigest.isEqual(sha256(header.substring(7).strip()), sha256(adminKey))) {
      throw new ApiException(403, "wrong admin key", null, 0, null);
    }
    failures.addTokens(1); // the right key: not a failure
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The longest embedding a request may carry, for the parser's token budget. */
  private static final int MAX_EMBEDDING = 8192;

  /** The deepest a search body nests (its deepest part, a filter's list, is 4). */
  private static final int MAX_NESTING = 16;

  /**
   * Reads a search body within limits checked while parsing: a body of {@code {},{},...} under the
   * size limit made a tree of hundreds of MB before "at most 16 terms" was checked. Also refused:
   * text after the object, and a key given twice (which one counted was a guess).
   */
  private static ObjectMapper requestReader(ServingSettings settings) {
    long tokens = (long) settings.maxTerms() * (MAX_EMBEDDING + 32) + 1024;
    com.fasterxml.jackson.core.JsonFactory f =
        com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(
                com.fasterxml.jackson.core.StreamReadConstraints.builder()
                    .maxTokenCount(tokens)
                    .maxNestingDepth(MAX_NESTING)
                    .maxStringLength(
                        (int)
                            Math.min(
                                Integer.MAX_VALUE - 8, settings.maxUploadBytes() * 4 / 3 + 65_536))
                    .build())
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    return new ObjectMapper(f)
        .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  private void search(Context ctx) throws IOException {
    JsonNode body = requestReader.readTree(ctx.bodyAsBytes());
    SearchRequest request = SearchRequest.parse(body, settings, encoder.metadata().embeddingDim());
    for (int i = 0; i < request.terms().size(); i++) {
      String id = request.terms().get(i).imageId();
      if (id != null && catalog.takenDown(id)) {
        // As its own pages are: while a takedown is retried, its vector may still be in Milvus.
        throw ApiException.badRequest("terms[" + i + "].imageId", "no image has this id");
      }
    }
    // Each uploaded image not embedded before is decoded and run through the model: it costs a
    // request of its own on top of the search's (the next pages, which send it again, find its
    // vector cached). Until 2026-12-06 a search with 16 images, each changed by a byte so that no
    // cached vector served, cost what a one-word search did.
    int images = queryVectors.imagesToEmbed(request.terms());
    // At most what a full bucket holds after the search's own tokens: a dearer request could
    // never be served, whatever the client waited.
    int cost = Math.min(images * TOKENS, (settings.rateBurst() - 1) * TOKENS);
    if (cost > 0) {
      rateLimit(ctx, cost);
    }
    ctx.contentType("application/json").result(page(searcher.search(request)));
  }

  private void similar(Context ctx) {
    String id = shownImageId(ctx);
    int limit = SearchRequest.limit(ctx.queryParam("limit"), settings);
    String cursor = ctx.queryParam("cursor");
    if (cursor != null && cursor.length() > SearchRequest.MAX_CURSOR) {
      throw ApiException.badRequest("cursor", "is not a cursor from an earlier answer");
    }
    ctx.contentType("application/json").result(page(searcher.similar(id, limit, cursor)));
  }

  private void image(Context ctx) {
    String id = shownImageId(ctx);
    Catalog.Detail d =
        catalog.detail(id).orElseThrow(() -> ApiException.notFound("no image with id " + id));
    Map<String, Object> out = summary(d.summary());
    out.put("format", d.format());
    out.put("byteSize", d.byteSize());
    out.put("sha256", d.sha256());
    out.put("phash", HexFormat.of().toHexDigits(d.phash()));
    out.put("lastSeen", d.lastSeen() == null ? null : d.lastSeen().toString());
    out.put("qualityVersion", d.qualityVersion());
    List<Map<String, Object>> urls = new ArrayList<>();
    for (Catalog.UrlSeen u : d.urls()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("url", u.url());
      m.put("source", u.source());
      m.put("title", u.title());
      m.put("page", u.page());
      m.put("firstSeen", u.firstSeen() == null ? null : u.firstSeen().toString());
      urls.add(m);
    }
    out.put("urls", urls);
    out.put("original", originalFile(d).isPresent() ? "/api/images/" + id + "/original" : null);
    json(ctx, out);
  }

  /** How long caches may keep a thumbnail: also how long one may outlive a takedown there. */
  static final Duration THUMB_MAX_AGE = Duration.ofMinutes(5);

  private void thumbnail(Context ctx) {
    String id = shownImageId(ctx);
    String size = ctx.pathParam("size");
    if (!THUMB_SIZES.contains(size)) {
      throw ApiException.badRequest("size", "must be one of " + THUMB_SIZES);
    }
    Catalog.Thumbnail t =
        catalog
            .thumbnail(id, size)
            .orElseThrow(() -> ApiException.notFound("no " + size + " thumbnail for " + id));
    // A thumbnail never changes under its id, but a takedown removes it: caches (the browser's,
    // a shared proxy's) may keep serving one for THUMB_MAX_AGE after that.
    ctx.header("Cache-Control", "public, max-age=" + THUMB_MAX_AGE.toSeconds());
    ctx.contentType("image/" + t.format().toLowerCase(Locale.ROOT)).result(t.data());
  }

  private void original(Context ctx) throws IOException {
    String id = shownImageId(ctx);
    Catalog.Detail d =
        catalog.detail(id).orElseThrow(() -> ApiException.notFound("no image with id " + id));
    Path file =
        originalFile(d)
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        "the original of " + id + " is not a file inside the allowed roots"));
    ctx.header("Content-Security-Policy", "sandbox");
    ctx.header("Content-Disposition", "inline");
    ctx.contentType(mime(d.format())).result(Files.newInputStream(file));
  }

  /**
   * The first of the image's file: URLs that names an existing regular file inside an allowed root,
   * after resolving "..", and symbolic links, so nothing outside a root is ever served.
   */
  Optional<Path> originalFile(Catalog.Detail d) {
    for (Catalog.UrlSeen u : d.urls()) {
      if (!u.url().startsWith("file:")) {
        continue;
      }
      try {
        Path p = Path.of(URI.create(u.url())).toRealPath();
        for (Path root : fileRoots) {
          if (Files.isDirectory(root)
              && p.startsWith(root.toRealPath())
              && Files.isRegularFile(p)) {
            return Optional.of(p);
          }
        }
      } catch (IOException | RuntimeException e) {
        // a vanished file or a malformed URL: try the next one
      }
    }
    return Optional.empty();
  }

  private void takedown(Context ctx) {
    String id = imageId(ctx);
    String reason = ctx.queryParam("reason");
    if (reason != null && reason.codePointCount(0, reason.length()) > 500) {
      throw ApiException.badRequest("reason", "at most 500 characters");
    }
    json(ctx, takedowns.takedown(id, reason == null ? "" : reason));
  }

  private void openApi(Context ctx) {
    ctx.contentType("application/json").result(openApi);
  }

  private void index(Context ctx) {
    ctx.header("Content-Security-Policy", csp());
    ctx.header("Cache-Control", "no-cache");
    ctx.contentType("text/html; charset=utf-8").result(indexPage);
  }

  static String csp() {
    return "default-src 'self'; img-src 'self' data: blob:; style-src 'self';"
        + " script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none';"
        + " frame-ancestors 'none'";
  }

  private void metrics(Context ctx) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
    ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(out.toByteArray());
  }

  /** Writes {@code value} as the JSON body, serialised straight to UTF-8 bytes. */
  private static void json(Context ctx, Object value) {
    ctx.contentType("application/json").result(Json.write(value));
  }

  /**
   * The path's image id, 404 when this replica took it down: a takedown that failed part way
   * (Milvus or Cassandra away) leaves rows, which the detail, thumbnails, original and similar
   * images must not show either.
   */
  private String shownImageId(Context ctx) {
    String id = imageId(ctx);
    if (catalog.takenDown(id)) {
      throw ApiException.notFound("no image with id " + id);
    }
    return id;
  }

  private static String imageId(Context ctx) {
    String id = ctx.pathParam("id");
    if (!SearchRequest.IMAGE_ID.matcher(id).matches()) {
      throw ApiException.badRequest("id", "must be an image id (32 lower-case hex digits)");
    }
    return id;
  }

  /**
   * A page of results as JSON, written field by field: a search answers on every keystroke, and
   * building a map per result for the object mapper to walk took as long as the HTTP exchange
   * itself (docs/benchmarks.md, serving). Same fields and order as {@link #summary}, plus the
   * score; a result's quality is the index's value, the one results are ranked by, else the
   * catalog's.
   */
  static byte[] page(Searcher.Page page) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512 + 384 * page.results().size());
    try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("results");
      for (Searcher.Result r : page.results()) {
        Catalog.Summary s = r.summary();
        g.writeStartObject();
        g.writeStringField("id", r.hit().id());
        g.writeNumberField("score", r.hit().score());
        g.writeNumberField("width", s.width());
        g.writeNumberField("height", s.height());
        g.writeObjectFieldStart("thumbnails");
        for (String size : THUMB_SIZES) {
          Catalog.Thumb t = s.thumbs().get(size);
          if (t != null) {
            g.writeObjectFieldStart(size);
            g.writeStringField("url", "/api/images/" + s.id() + "/thumbnail/" + size);
            g.writeNumberField("width", t.width());
            g.writeNumberField("height", t.height());
            g.writeEndObject();
          }
        }
        g.writeEndObject();
        strings(g, "titles", s.titles());
        strings(g, "sources", s.sources());
        strings(g, "urls", s.urls());
        // Milvus has the freshest score, but no null: an unscored image is 0 there, and null in
        // Cassandra's row, as the detail view gives it.
        Float quality = r.hit().quality() != null ? r.hit().quality() : s.quality();
        if (quality != null && quality == 0f && s.quality() == null) {
          quality = null;
        }
        g.writeFieldName("quality");
        if (quality == null) {
          g.writeNull();
        } else {
          g.writeNumber(quality);
        }
        g.writeStringField("firstSeen", s.firstSeen() == null ? null : s.firstSeen().toString());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeStringField("cursor", page.cursor());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void strings(JsonGenerator g, String field, Iterable<String> values)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (String v : values) {
      g.writeString(v);
    }
    g.writeEndArray();
  }

  private static Map<String, Object> summary(Catalog.Summary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("width", s.width());
    m.put("height", s.height());
    Map<String, Object> thumbs = new LinkedHashMap<>();
    for (String size : THUMB_SIZES) {
      Catalog.Thumb t = s.thumbs().get(size);
      if (t != null) {
        thumbs.put(
            size,
            Map.of(
                "url", "/api/images/" + s.id() + "/thumbnail/" + size,
                "width", t.width(),
                "height", t.height()));
      }
    }
    m.put("thumbnails", thumbs);
    m.put("titles", List.copyOf(s.titles()));
    m.put("sources", List.copyOf(s.sources()));
    m.put("urls", s.urls());
    m.put("quality", s.quality());
    m.put("firstSeen", s.firstSeen() == null ? null : s.firstSeen().toString());
    return m;
  }

  private void apiError(ApiException e, Context ctx) {
    if (e.retryAfterSeconds() > 0) {
      ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", e.getMessage());
    if (e.field() != null) {
      body.put("field", e.field());
    }
    json(ctx.status(e.status()), body);
  }

  private void httpError(HttpResponseException e, Context ctx) {
    String message = e.getMessage();
    String field = null;
    if (e.getStatus() == 413) {
      message =
          "body: the request is over "
              + (settings.maxUploadBytes() >> 20)
              + " MiB of image (base64 adds a third)";
      field = "body";
    } else if (e.getStatus() == 404) {
      message = "no such endpoint: " + ctx.method().name() + " " + ctx.path();
    } else if (e.getStatus() == 405) {
      message = ctx.method().name() + " is not allowed on " + ctx.path();
    }
    apiError(new ApiException(e.getStatus(), message, field, 0, null), ctx);
  }

  private void internalError(Exception e, Context ctx) {
    String ref = UUID.randomUUID().toString().substring(0, 8);
    LOG.error("internal error {} on {} {}", ref, ctx.method().name(), ctx.path(), e);
    apiError(
        new ApiException(500, "internal error; the server log has reference " + ref, null, 0, null),
        ctx);
  }

  static String mime(String format) {
    return switch (format == null ? "" : format.toUpperCase(Locale.ROOT)) {
      case "JPEG" -> "image/jpeg";
      case "PNG" -> "image/png";
      case "GIF" -> "image/gif";
      case "WEBP" -> "image/webp";
      case "BMP" -> "image/bmp";
      default -> "application/octet-stream";
    };
  }

  static byte[] resource(String name) {
    try (InputStream in = ServingApp.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the build");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (app != null) {
      app.stop();
    }
    stats.close();
    takedowns.close();
    catalog.close();
    stores.close();
  }
}
