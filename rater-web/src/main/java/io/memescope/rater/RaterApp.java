package io.memescope.rater;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.SameSite;
import io.javalin.http.staticfiles.Location;
import io.memescope.core.config.RaterSettings;
import io.memescope.core.rating.PairKey;
import io.memescope.core.rating.RatingQueue;
import io.memescope.core.rating.RatingScale;
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
import java.security.MessageDigest;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rater web app: sign-in, the rating page and its API, the admin page and its API, and the
 * images it shows, all from Memescope's own thumbnails. Every write of a session must carry the
 * session's CSRF token in {@code X-CSRF-Token}; sessions live in an HttpOnly, SameSite=Strict
 * cookie.
 */
public final class RaterApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaterApp.class);
  static final String UI = "/io/memescope/rater/ui";
  static final String COOKIE = "memescope_rater";
  static final String CSRF_HEADER = "X-CSRF-Token";
  static final Pattern IMAGE_ID = Pattern.compile("[0-9a-f]{32}");
  static final int MAX_BODY = 1 << 20;
  static final int MAX_ENQUEUE = 10_000;

  enum Access {
    PUBLIC,
    RATER,
    ADMIN
  }

  /** One route: who may call it, and what it does. */
  record Route(HandlerType method, String path, Access access, Handler handler) {}

  private final RaterSettings settings;
  private final Db db;
  private final Accounts accounts;
  private final Pairs pairs;
  private final Ratings ratings;
  private final RaterStats stats;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter rated;
  private final Counter actions;
  private final Histogram latency;
  private final Map<String, byte[]> pages = new LinkedHashMap<>();
  private final boolean testModel;
  private Javalin app;

  public RaterApp(io.memescope.core.config.MemescopeConfig config) {
    this.settings = config.rater();
    this.db = new Db(config.cassandra());
    this.accounts = new Accounts(db, settings);
    this.pairs = new Pairs(db, settings);
    this.ratings = new Ratings(db, pairs, settings);
    this.stats = new RaterStats(db, accounts, ratings, settings);
    this.rated =
        Counter.builder()
            .name("memescope_ratings_total")
            .help("Pairs rated, by where the pair came from (queue or random)")
            .labelNames("origin")
            .register(registry);
    this.actions =
        Counter.builder()
            .name("memescope_rater_actions_total")
            .help("Skips, undos and sign-ins of raters")
            .labelNames("action")
            .register(registry);
    this.latency =
        Histogram.builder()
            .name("memescope_rater_request_duration_seconds")
            .help("Time to answer a request of the rater app, by route and status")
            .labelNames("method", "route", "status")
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
            .register(registry);
    this.testModel = testModel(config);
    for (String page : List.of("login", "rate", "admin")) {
      pages.put(page, resource(UI + "/" + page + ".html"));
    }
  }

  /**
   * Creates the first admin from {@code password} when there are no raters, or restores {@code
   * admin} with it when no enabled admin is left ({@link Accounts#ensureAdmin}).
   */
  Accounts.AdminCheck ensureAdmin(String password) {
    return accounts.ensureAdmin(password);
  }

  List<Route> routes() {
    return List.of(
        new Route(HandlerType.POST, "/api/login", Access.PUBLIC, this::login),
        new Route(HandlerType.POST, "/api/logout", Access.RATER, this::logout),
        new Route(HandlerType.GET, "/api/me", Access.RATER, this::account),
        new Route(HandlerType.POST, "/api/pairs/next", Access.RATER, this::next),
        new Route(HandlerType.POST, "/api/pairs/skip", Access.RATER, this::skip),
        new Route(HandlerType.POST, "/api/ratings", Access.RATER, this::rate),
        new Route(HandlerType.POST, "/api/ratings/undo", Access.RATER, this::undo),
        new Route(HandlerType.GET, "/api/stats", Access.RATER, this::stats),
        new Route(HandlerType.GET, "/images/{id}/{size}", Access.RATER, this::image),
        new Route(HandlerType.GET, "/api/admin/raters", Access.ADMIN, this::listRaters),
        new Route(HandlerType.POST, "/api/admin/raters", Access.ADMIN, this::createRater),
        new Route(
            HandlerType.PATCH, "/api/admin/raters/{username}", Access.ADMIN, this::updateRater),
        new Route(HandlerType.GET, "/api/admin/queues", Access.ADMIN, this::queues),
        new Route(HandlerType.POST, "/api/admin/queues/{name}/pairs", Access.ADMIN, this::enqueue),
        new Route(HandlerType.DELETE, "/api/admin/queues/{name}", Access.ADMIN, this::clearQueue),
        new Route(HandlerType.GET, "/api/admin/export", Access.ADMIN, this::export),
        new Route(
            HandlerType.GET, "/health", Access.PUBLIC, ctx -> json(ctx, Map.of("status", "ok"))));
  }

  /** The ratings, for tests that fail an undo half-way ({@link Ratings#midUndo}). */
  Ratings ratings() {
    return ratings;
  }

  /** Starts on {@code port} (0: any free port) and returns the port. */
  public int start(String host, int port) {
    app =
        Javalin.create(
            c -> {
              c.http.maxRequestSize = MAX_BODY;
              c.http.prefer405over404 = true; // GET /api/search: wrong method, not missing
              c.startup.showJavalinBanner = false;
              c.staticFiles.add(
                  s -> {
                    s.hostedPath = "/ui";
                    s.directory = UI;
                    s.location = Location.CLASSPATH;
                    s.headers = Map.of("Cache-Control", "no-cache");
                  });
              c.routes.before(this::before);
              c.routes.after(this::after);
              for (Route r : routes()) {
                c.routes.addHttpHandler(r.method(), r.path(), guarded(r));
              }
              c.routes.get("/", ctx -> page(ctx, "rate", Access.RATER));
              c.routes.get("/admin", ctx -> page(ctx, "admin", Access.ADMIN));
              c.routes.get("/login", ctx -> page(ctx, "login", Access.PUBLIC));
              c.routes.get("/metrics", this::metrics);
              c.routes.exception(ApiException.class, this::apiError);
              c.routes.exception(HttpResponseException.class, this::httpError);
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
    return app.port();
  }

  public int port() {
    return app.port();
  }

  // ---- guards -------------------------------------------------------------------------------

  private Handler guarded(Route r) {
    return ctx -> {
      ctx.attribute("route", r.path());
      boolean write = r.method() != HandlerType.GET;
      if (write) {
        checkOrigin(ctx);
      }
      if (r.access() != Access.PUBLIC) {
        Accounts.Session session =
            session(ctx).orElseThrow(() -> ApiException.status(401, "sign in"));
        if (r.access() == Access.ADMIN && !session.rater().admin()) {
          throw ApiException.status(403, "this needs the admin role");
        }
        if (write) {
          String token = ctx.header(CSRF_HEADER);
          if (token == null
              || !MessageDigest.isEqual(
                  token.getBytes(StandardCharsets.UTF_8),
                  session.csrf().getBytes(StandardCharsets.UTF_8))) {
            throw ApiException.status(403, "CSRF token missing or wrong");
          }
        }
        ctx.attribute("session", session);
      }
      r.handler().handle(ctx);
    };
  }

  /**
   * Refuses writes from another origin: a browser names the page's origin in {@code Origin} on
   * every cross-site request, and on same-site POSTs too.
   */
  private static void checkOrigin(Context ctx) {
    String origin = ctx.header("Origin");
    if (origin == null) {
      return; // not a browser, or a same-origin request of an old one; CSRF token still needed
    }
    String host = ctx.header("Host");
    try {
      URI o = URI.create(origin);
      // "null" (a sandboxed frame, a file: page) and "foo:bar" have no host: foreign.
      if (o.getHost() != null && host != null) {
        String authority = o.getPort() < 0 ? o.getHost() : o.getHost() + ":" + o.getPort();
        if (authority.equalsIgnoreCase(host)) {
          return;
        }
      }
    } catch (IllegalArgumentException e) {
      // a malformed Origin: refused below
    }
    // Behind a reverse proxy that does not pass the browser's Host on (nginx's default sends its
    // upstream's), every write of every rater lands here: say so, or nobody can sign in.
    throw ApiException.status(
        403,
        "cross-origin request refused (Origin "
            + origin
            + ", Host "
            + host
            + "; behind a reverse proxy, pass the browser's Host header on: nginx's"
            + " proxy_set_header Host $http_host)");
  }

  private Optional<Accounts.Session> session(Context ctx) {
    return accounts.session(ctx.cookie(COOKIE));
  }

  private static Accounts.Session sessionOf(Context ctx) {
    return ctx.attribute("session");
  }

  private void before(Context ctx) {
    ctx.attribute("t0", System.nanoTime());
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "same-origin");
    ctx.header("Content-Security-Policy", csp());
    if (ctx.path().startsWith("/api/")) {
      ctx.header("Cache-Control", "no-store");
    }
  }

  static String csp() {
    return "default-src 'self'; img-src 'self' data: blob:; style-src 'self';"
        + " script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none';"
        + " form-action 'self'; frame-ancestors 'none'";
  }

  private void after(Context ctx) {
    Long t0 = ctx.attribute("t0");
    String route = ctx.attribute("route");
    if (route == null) {
      route = ctx.path().startsWith("/ui/") ? "/ui" : "other";
    }
    if (t0 != null) {
      latency
          .labelValues(
              io.memescope.core.net.HttpMethods.label(ctx.method().name()),
              route,
              Integer.toString(ctx.status().getCode()))
          .observe((System.nanoTime() - t0) / 1e9);
    }
  }

  private void page(Context ctx, String page, Access access) {
    if (access != Access.PUBLIC) {
      Optional<Accounts.Session> session = session(ctx);
      if (session.isEmpty()) {
        ctx.redirect("/login?next=" + ctx.path());
        return;
      }
      if (access == Access.ADMIN && !session.get().rater().admin()) {
        ctx.status(403).contentType("text/plain; charset=utf-8").result("This page is for admins.");
        return;
      }
    }
    ctx.header("Cache-Control", "no-cache");
    ctx.contentType("text/html; charset=utf-8").result(pages.get(page));
  }

  // ---- accounts -----------------------------------------------------------------------------

  /**
   * The client whose sign-in allowance an attempt uses: the remote address, or behind a trusted
   * reverse proxy ({@code rater.trusted-proxies}) the client its {@code X-Forwarded-For} names; for
   * an IPv6 client its /64 network ({@link io.memescope.core.net.ClientAddress#limitKey}).
   */
  private String client(Context ctx) {
    return io.memescope.core.net.ClientAddress.limitKey(
        io.memescope.core.net.ClientAddress.of(
            ctx.req().getRemoteAddr(),
            java.util.Collections.list(ctx.req().getHeaders("X-Forwarded-For")),
            settings.trustedProxies()));
  }

  private void login(Context ctx) throws IOException {
    String type = ctx.contentType();
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      // A form cannot send JSON across sites without a CORS preflight, which this server refuses.
      throw new ApiException(
          415, "body: send JSON (Content-Type: application/json)", "body", 0, null);
    }
    JsonNode body = body(ctx, "username", "password");
    String username = text(body, "username", 64);
    String password = text(body, "password", Accounts.MAX_PASSWORD);
    Accounts.SignIn in = accounts.signIn(username, password, client(ctx));
    Cookie cookie = new Cookie(COOKIE, in.token());
    cookie.setHttpOnly(true);
    cookie.setSecure(settings.secureCookies());
    cookie.setSameSite(SameSite.STRICT);
    cookie.setPath("/");
    cookie.setMaxAge((int) settings.sessionTtl().toSeconds());
    ctx.cookie(cookie);
    actions.labelValues("sign-in").inc();
    json(ctx, account(in.session()));
  }

  private void logout(Context ctx) {
    accounts.signOut(sessionOf(ctx));
    ctx.removeCookie(COOKIE, "/");
    ctx.status(204);
  }

  private void account(Context ctx) {
    Map<String, Object> out = account(sessionOf(ctx));
    List<Map<String, Object>> dims = new ArrayList<>();
    for (int i = 0; i < settings.dimensions().size(); i++) {
      String d = settings.dimensions().get(i);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", d);
      m.put("label", d.substring(0, 1).toUpperCase(Locale.ROOT) + d.substring(1).replace('_', ' '));
      m.put("keys", settings.keys(i));
      dims.add(m);
    }
    out.put("dimensions", dims);
    out.put("scale", RatingScale.POINTS);
    out.put("arrowKeys", settings.dimensions().size() == 1);
    // Ratings of images embedded by the random-weight test model teach nothing: say so.
    out.put("testModel", testModel);
    json(ctx, out);
  }

  private static Map<String, Object> account(Accounts.Session s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("username", s.rater().username());
    m.put("role", s.rater().role());
    m.put("csrf", s.csrf());
    return m;
  }

  // ---- rating -------------------------------------------------------------------------------

  private void next(Context ctx) throws IOException {
    Accounts.Session s = sessionOf(ctx);
    JsonNode body = bodyOrEmpty(ctx, "reset", "release", "keep");
    String rater = s.rater().username();
    if (body.has("reset") && !body.get("reset").isBoolean()) {
      throw ApiException.badRequest("reset", "must be true or false");
    }
    if (body.has("keep") && (body.has("release") || body.has("reset"))) {
      throw ApiException.badRequest("keep", "cannot be given with reset or release");
    }
    if (body.path("reset").asBoolean(false)) {
      pairs.release(rater, l -> true);
    } else if (body.has("release")) {
      Set<UUID> ids = leases(body, "release", 100);
      pairs.release(rater, l -> ids.contains(l.id()));
    } else if (body.has("keep")) {
      // Every pair the rater holds but these: what a page sends when the answer to a request that
      // may have leased a pair was lost, so that the pair it never learned of is not held for
      // nothing (other raters wait out the lease, and the rater never sees it again).
      Set<UUID> ids = leases(body, "keep", KEEP_MAX);
      pairs.release(rater, l -> l.ratingId() == null && !ids.contains(l.id()));
    }
    Optional<Pairs.Lease> lease = pairs.next(rater, s.rater().queue());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pair", lease.map(this::pair).orElse(null));
    if (lease.isEmpty()) {
      out.put(
          "message",
          "Nothing to rate: the queue is empty and the index has no pair of images you have not"
              + " rated yet. New pairs appear as images are indexed.");
    }
    json(ctx, out);
  }

  /** The most leases a page may keep: the pairs it holds and the ratings it has not sent yet. */
  static final int KEEP_MAX = 1000;

  /**
   * The leases listed in {@code body.field}, at most {@code max}; ids that are no lease dropped.
   */
  private static Set<UUID> leases(JsonNode body, String field, int max) {
    if (!body.get(field).isArray() || body.get(field).size() > max) {
      throw ApiException.badRequest(field, "must be a list of at most " + max + " leases");
    }
    Set<UUID> ids = new HashSet<>();
    for (JsonNode n : body.get(field)) {
      UUID id = uuid(n.asText(), field);
      if (id.version() == 1) { // a lease is a time-based UUID; others were never leases
        ids.add(id);
      }
    }
    return ids;
  }

  private Map<String, Object> pair(Pairs.Lease l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lease", l.id().toString());
    m.put("origin", l.origin());
    m.put("queue", l.queue());
    m.put("iteration", l.iteration());
    m.put("left", imageRef(l.left()));
    m.put("right", imageRef(l.right()));
    return m;
  }

  private Map<String, Object> imageRef(String id) {
    int[] size =
        db.call(
            s -> {
              var r =
                  s.execute(
                          db.prepare(
                                  s,
                                  "SELECT width, height FROM image_thumbnails"
                                      + " WHERE image_id = ? AND size = ?")
                              .bind(id, settings.thumbnail()))
                      .one();
              return r == null ? new int[] {0, 0} : new int[] {r.getInt(0), r.getInt(1)};
            });
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("thumbnail", "/images/" + id + "/" + settings.thumbnail());
    m.put("width", size[0]);
    m.put("height", size[1]);
    return m;
  }

  private void rate(Context ctx) throws IOException {
    Accounts.Session s = sessionOf(ctx);
    JsonNode body = body(ctx, "lease", "scores");
    UUID id = uuid(text(body, "lease", 64), "lease");
    JsonNode scoresNode = body.get("scores");
    if (scoresNode == null || !scoresNode.isObject()) {
      throw ApiException.badRequest("scores", "is required: an object of dimension to -2..2");
    }
    Map<String, Object> raw = new LinkedHashMap<>();
    scoresNode
        .fields()
        .forEachRemaining(
            e ->
                raw.put(
                    e.getKey(),
                    e.getValue().isInt() ? e.getValue().intValue() : e.getValue().toString()));
    Map<String, Integer> scores = ratings.validate(raw);
    Pairs.Lease lease =
        pairs
            .lease(s.rater().username(), id)
            .orElseThrow(() -> new ApiException(409, "unknown or expired lease", "lease", 0, null));
    // The zone only shapes the counts in the answer: one this server does not know must not cost
    // the rating (the page drops a refused one), so the counts fall back to UTC.
    ZoneId zone;
    try {
      zone = zone(ctx);
    } catch (ApiException e) {
      zone = ZoneOffset.UTC;
    }
    boolean first = lease.ratingId() == null;
    UUID rating = ratings.submit(lease, scores);
    if (first) {
      rated.labelValues(lease.origin()).inc();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", rating.toString());
    try {
      out.putAll(stats.me(s.rater().username(), zone));
    } catch (RuntimeException e) {
      // The rating is stored: a failure to count it must not answer 503, which tells the page it
      // was not (the page then keeps it, and Backspace would take it back only on the page).
      LOG.warn(
          "rating {} stored, but counting the rater's ratings failed: {}", rating, e.toString());
    }
    json(ctx.status(201), out);
  }

  private void skip(Context ctx) throws IOException {
    Accounts.Session s = sessionOf(ctx);
    UUID id = uuid(text(body(ctx, "lease"), "lease", 64), "lease");
    Pairs.Lease lease =
        pairs
            .lease(s.rater().username(), id)
            .orElseThrow(() -> new ApiException(409, "unknown or expired lease", "lease", 0, null));
    if (lease.ratingId() != null) {
      throw new ApiException(409, "this pair was rated already; undo it instead", "lease", 0, null);
    }
    pairs.skip(lease);
    actions.labelValues("skip").inc();
    ctx.status(204);
  }

  private void undo(Context ctx) throws IOException {
    Accounts.Session s = sessionOf(ctx);
    JsonNode body = bodyOrEmpty(ctx, "lease");
    UUID expected = body.has("lease") ? uuid(text(body, "lease", 64), "lease") : null;
    Ratings.Undone undone =
        ratings
            .undo(s.rater().username(), expected)
            .orElseThrow(() -> ApiException.status(404, "nothing to undo"));
    actions.labelValues("undo").inc();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pair", pair(undone.lease()));
    out.put("scores", undone.rating().scores());
    json(ctx, out);
  }

  private void stats(Context ctx) {
    Accounts.Session s = sessionOf(ctx);
    ZoneId zone = zone(ctx);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("me", stats.me(s.rater().username(), zone));
    out.put("queue", Map.of("name", s.rater().queue(), "depth", stats.depth(s.rater().queue())));
    out.put("raters", stats.raters(zone));
    out.put("agreement", stats.agreement());
    json(ctx, out);
  }

  private void image(Context ctx) {
    String id = ctx.pathParam("id");
    if (!IMAGE_ID.matcher(id).matches()) {
      throw ApiException.badRequest("id", "must be an image id (32 lower-case hex digits)");
    }
    String size = ctx.pathParam("size");
    if (!size.equals("small") && !size.equals("large")) {
      throw ApiException.badRequest("size", "must be small or large");
    }
    var row =
        db.call(
            s ->
                s.execute(
                        db.prepare(
                                s,
                                "SELECT format, data FROM image_thumbnails"
                                    + " WHERE image_id = ? AND size = ?")
                            .bind(id, size))
                    .one());
    if (row == null) {
      throw ApiException.status(404, "no " + size + " thumbnail of " + id);
    }
    java.nio.ByteBuffer data = row.getByteBuffer("data");
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    // An image id names its content: the thumbnail never changes.
    ctx.header("Cache-Control", "private, max-age=31536000, immutable");
    ctx.contentType(mime(row.getString("format"))).result(bytes);
  }

  // ---- admin --------------------------------------------------------------------------------

  private void listRaters(Context ctx) {
    ZoneId zone = zone(ctx);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Accounts.Rater r : accounts.all()) {
      Map<String, Object> m = rater(r);
      long[] c = ratings.counts(r.username(), zone);
      m.put("today", c[0]);
      m.put("total", c[1]);
      out.add(m);
    }
    json(ctx, Map.of("raters", out));
  }

  private static Map<String, Object> rater(Accounts.Rater r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("username", r.username());
    m.put("role", r.role());
    m.put("disabled", r.disabled());
    m.put("queue", r.queue());
    m.put("createdAt", r.createdAt() == null ? null : r.createdAt().toString());
    return m;
  }

  private void createRater(Context ctx) throws IOException {
    JsonNode body = body(ctx, "username", "password", "role", "queue");
    Accounts.Rater r =
        accounts.create(
            text(body, "username", 64),
            text(body, "password", Accounts.MAX_PASSWORD),
            body.has("role") ? text(body, "role", 16) : "rater",
            body.has("queue") ? text(body, "queue", 64) : null);
    json(ctx.status(201), rater(r));
  }

  private void updateRater(Context ctx) throws IOException {
    String username = ctx.pathParam("username");
    Accounts.checkUsername(username);
    JsonNode body = body(ctx, "password", "role", "disabled", "queue");
    Boolean disabled = null;
    if (body.has("disabled")) {
      if (!body.get("disabled").isBoolean()) {
        throw ApiException.badRequest("disabled", "must be true or false");
      }
      disabled = body.get("disabled").asBoolean();
      if (disabled && username.equals(sessionOf(ctx).rater().username())) {
        throw ApiException.badRequest("disabled", "you cannot disable your own account");
      }
    }
    // Nor take away your own admin role: with the last admin gone, nobody could manage accounts
    // until the app restored one at its next start.
    if (body.has("role")
        && !"admin".equals(body.get("role").asText())
        && username.equals(sessionOf(ctx).rater().username())) {
      throw ApiException.badRequest(
          "role", "you cannot take the admin role from your own account; another admin can");
    }
    Accounts.Rater r =
        accounts.update(
            sessionOf(ctx).rater().username(),
            username,
            body.has("password") ? text(body, "password", Accounts.MAX_PASSWORD) : null,
            body.has("role") ? text(body, "role", 16) : null,
            disabled,
            body.has("queue") ? text(body, "queue", 64) : null);
    json(ctx, rater(r));
  }

  private void queues(Context ctx) {
    List<RatingQueue.Summary> out =
        db.call(
            s -> {
              RatingQueue q = new RatingQueue(s);
              Set<String> names = new java.util.TreeSet<>(q.names());
              names.add(settings.defaultQueue());
              return names.stream().map(q::summary).toList();
            });
    json(ctx, Map.of("queues", out));
  }

  private void enqueue(Context ctx) throws IOException {
    String queue = Accounts.checkQueue(ctx.pathParam("name"));
    JsonNode body = body(ctx, "iteration", "ratingsWanted", "random", "pairs");
    String iteration = body.has("iteration") ? text(body, "iteration", 100) : "manual";
    int wanted = 0;
    if (body.has("ratingsWanted")) {
      if (!body.get("ratingsWanted").canConvertToInt()
          || body.get("ratingsWanted").asInt() < 1
          || body.get("ratingsWanted").asInt() > 10) {
        throw ApiException.badRequest("ratingsWanted", "must be an integer from 1 to 10");
      }
      wanted = body.get("ratingsWanted").asInt();
    }
    List<RatingQueue.Pair> list = new ArrayList<>();
    if (body.has("random")) {
      JsonNode n = body.get("random");
      if (!n.canConvertToInt() || n.asInt() < 1 || n.asInt() > MAX_ENQUEUE) {
        throw ApiException.badRequest("random", "must be an integer from 1 to " + MAX_ENQUEUE);
      }
      Set<String> keys = new HashSet<>();
      db.call(
          s -> {
            for (int i = 0; i < n.asInt() * 3 && list.size() < n.asInt(); i++) {
              Optional<List<String>> p = pairs.randomPair(s);
              if (p.isEmpty()) {
                break;
              }
              if (keys.add(PairKey.of(p.get().get(0), p.get().get(1)))) {
                list.add(new RatingQueue.Pair(p.get().get(0), p.get().get(1)));
              }
            }
            return null;
          });
    } else {
      JsonNode n = body.get("pairs");
      if (n == null || !n.isArray() || n.isEmpty() || n.size() > MAX_ENQUEUE) {
        throw ApiException.badRequest(
            "pairs",
            "is required: a list of 1 to " + MAX_ENQUEUE + " {left, right} (or give random)");
      }
      Map<String, Integer> seen = new HashMap<>();
      for (int i = 0; i < n.size(); i++) {
        if (!n.get(i).isObject()) {
          throw ApiException.badRequest("pairs[" + i + "]", "must be an object {left, right}");
        }
        onlyFields(n.get(i), "pairs[" + i + "].", List.of("left", "right"));
        String left = n.get(i).path("left").asText("");
        String right = n.get(i).path("right").asText("");
        if (!IMAGE_ID.matcher(left).matches()) {
          throw ApiException.badRequest("pairs[" + i + "].left", "must be an image id");
        }
        if (!IMAGE_ID.matcher(right).matches() || right.equals(left)) {
          throw ApiException.badRequest(
              "pairs[" + i + "].right", "must be an image id other than left");
        }
        Integer earlier = seen.putIfAbsent(PairKey.of(left, right), i);
        if (earlier != null) {
          // Either way round: a pair queued twice would be rated twice by the same raters.
          throw ApiException.badRequest(
              "pairs[" + i + "]", "repeats pairs[" + earlier + "] (the same two images)");
        }
        list.add(new RatingQueue.Pair(left, right));
      }
      refuseUnknownImages(list);
    }
    int wantedFinal = wanted;
    int added;
    try {
      added =
          db.call(
              s ->
                  new RatingQueue(s)
                      .enqueue(queue, iteration, list, wantedFinal, settings.overlap()));
    } catch (RatingQueue.PartlyQueued e) {
      // Some batches are in: said as such (not a bare 500, nor a 503 that invites sending the
      // whole list again on top of them).
      LOG.warn("enqueue into {} stopped part way", queue, e);
      throw new ApiException(500, e.getMessage(), null, 0, e);
    }
    json(ctx.status(201), Map.of("added", added));
  }

  /**
   * Refuses (400, naming the first) a pair whose image is not in the index: a rater would be shown
   * a missing picture, and the rating would train on an image without an embedding.
   */
  private void refuseUnknownImages(List<RatingQueue.Pair> list) {
    Set<String> ids = new java.util.LinkedHashSet<>();
    list.forEach(
        p -> {
          ids.add(p.left());
          ids.add(p.right());
        });
    Set<String> missing =
        db.call(
            s -> {
              // An indexed image has its hashes; a row with only a quality (a re-scoring that
              // raced a takedown) is not one.
              var select = db.prepare(s, "SELECT sha256 FROM images WHERE id = ?");
              Set<String> out = new HashSet<>();
              List<String> all = new ArrayList<>(ids);
              for (int from = 0; from < all.size(); from += 256) {
                List<String> chunk = all.subList(from, Math.min(from + 256, all.size()));
                List<java.util.concurrent.CompletableFuture<Boolean>> found = new ArrayList<>();
                for (String id : chunk) {
                  found.add(
                      s.executeAsync(select.bind(id))
                          .thenApply(
                              rs -> {
                                var row = rs.one();
                                return row != null && !row.isNull("sha256");
                              })
                          .toCompletableFuture());
                }
                for (int i = 0; i < chunk.size(); i++) {
                  boolean there;
                  try {
                    there = found.get(i).join();
                  } catch (java.util.concurrent.CompletionException e) {
                    // The driver's own exception, so that an unreachable Cassandra is a 503.
                    throw e.getCause() instanceof RuntimeException r ? r : e;
                  }
                  if (!there) {
                    out.add(chunk.get(i));
                  }
                }
              }
              return out;
            });
    for (int i = 0; i < list.size(); i++) {
      RatingQueue.Pair p = list.get(i);
      for (String side : List.of("left", "right")) {
        String id = side.equals("left") ? p.left() : p.right();
        if (missing.contains(id)) {
          throw ApiException.badRequest(
              "pairs[" + i + "]." + side, "no image has the id " + id + " in the index");
        }
      }
    }
  }

  private void clearQueue(Context ctx) {
    String queue = Accounts.checkQueue(ctx.pathParam("name"));
    int removed = db.call(s -> new RatingQueue(s).clear(queue));
    json(ctx, Map.of("removed", removed));
  }

  private void export(Context ctx) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ratings.export(out);
    ctx.header("Content-Disposition", "attachment; filename=\"ratings.jsonl\"");
    ctx.contentType("application/x-ndjson").result(out.toByteArray());
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private void metrics(Context ctx) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
    ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(out.toByteArray());
  }

  private static JsonNode body(Context ctx) throws IOException {
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length == 0) {
      throw ApiException.badRequest("body", "is empty; send a JSON object");
    }
    JsonNode n = Json.mapper().readTree(bytes);
    if (n == null || !n.isObject()) {
      throw ApiException.badRequest("body", "must be a JSON object");
    }
    return n;
  }

  private static JsonNode bodyOrEmpty(Context ctx, String... fields) throws IOException {
    return ctx.bodyAsBytes().length == 0 ? Json.mapper().createObjectNode() : body(ctx, fields);
  }

  /** The body, a JSON object with no other fields than {@code fields} (else 400 naming one). */
  private static JsonNode body(Context ctx, String... fields) throws IOException {
    JsonNode n = body(ctx);
    onlyFields(n, "", List.of(fields));
    return n;
  }

  private static void onlyFields(JsonNode n, String prefix, List<String> fields) {
    for (var names = n.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!fields.contains(name)) {
        throw ApiException.badRequest(
            prefix + name, "is not a field of this request; the fields are " + fields);
      }
    }
  }

  private static String text(JsonNode body, String field, int max) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      throw ApiException.badRequest(field, "is required");
    }
    if (!n.isTextual()) {
      throw ApiException.badRequest(field, "must be a string");
    }
    String v = n.asText();
    if (v.length() > max) {
      throw ApiException.badRequest(field, "at most " + max + " characters");
    }
    return v;
  }

  private static UUID uuid(String v, String field) {
    try {
      return UUID.fromString(v);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(field, "is not a lease id");
    }
  }

  private static ZoneId zone(Context ctx) {
    String tz = ctx.queryParam("tz");
    if (tz == null || tz.isBlank()) {
      return ZoneOffset.UTC;
    }
    // A named zone the JVM knows (some 600), not any offset: the stats are cached per zone, and
    // the 130,000-odd spellings of offsets ("+01:00:07") each missed the cache with two scans.
    if (!ZoneId.getAvailableZoneIds().contains(tz)) {
      throw ApiException.badRequest("tz", "is not a time zone such as Europe/Berlin");
    }
    try {
      return ZoneId.of(tz);
    } catch (DateTimeException e) {
      throw ApiException.badRequest("tz", "is not a time zone such as Europe/Berlin");
    }
  }

  private static void json(Context ctx, Object value) {
    ctx.contentType("application/json").result(Json.write(value));
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
    if (e.status() == 503) {
      body.put("retryAfter", e.retryAfterSeconds());
    }
    json(ctx.status(e.status()), body);
  }

  private void httpError(HttpResponseException e, Context ctx) {
    String message = e.getMessage();
    String field = null;
    if (e.getStatus() == 413) {
      message = "body: larger than " + (MAX_BODY >> 10) + " KiB";
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
      case "JPEG", "JPG" -> "image/jpeg";
      case "PNG" -> "image/png";
      case "WEBP" -> "image/webp";
      default -> "application/octet-stream";
    };
  }

  private static boolean testModel(io.memescope.core.config.MemescopeConfig config) {
    try {
      return io.memescope.core.model.ModelMetadata.read(config.model().dir()).tiny();
    } catch (RuntimeException e) {
      LOG.warn("cannot read the model's metadata in {}: {}", config.model().dir(), e.getMessage());
      return false;
    }
  }

  static byte[] resource(String name) {
    try (InputStream in = RaterApp.class.getResourceAsStream(name)) {
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
    db.close();
  }
}
