package io.memescope.rater;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.rating.PairKey;
import io.memescope.core.rating.RatingQueue;
import io.memescope.core.records.Json;
import io.memescope.core.schema.Clients;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.testing.Programs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The rater app on port 0 against the test stack's Cassandra (a keyspace of its own with generated
 * memes and real thumbnails), through a real HTTP client: sign-in, sessions, CSRF, validation, the
 * queue and its leases, ratings, undo, skip, agreement, export, a Cassandra that is not there, and
 * the rating page in headless Chromium driven by the keyboard alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaterIT {
  static final String ADMIN_PASSWORD = "admin password for the tests";
  static final String PASSWORD = "a rater's password";
  static final Map<String, Integer> SCORES =
      Map.of("usefulness", -2, "memeness", 0, "aesthetics", 1);

  private final HttpClient http = HttpClient.newHttpClient();
  private MemescopeConfig config;
  private RaterApp app;
  private RaterApp shortLeases;
  private String base;
  private List<String> images;
  private CqlSession cql;

  @BeforeAll
  void start() throws Exception {
    config = RaterFixture.config(Map.of("rater.overlap", "0"));
    images = RaterFixture.seedImages(config, 60);
    cql = Clients.cassandraKeyspace(config.cassandra());
    app = new RaterApp(config);
    base = "http://127.0.0.1:" + app.start("127.0.0.1", 0);
    // A password no account may have (under 10 characters) creates nothing: RaterMain then stops.
    assertThat(app.ensureAdmin("short"))
        .isEqualTo(Accounts.AdminCheck.UNUSABLE_PASSWORD_NO_ACCOUNTS);
    assertThat(cql.execute("SELECT username FROM raters").all()).isEmpty();
    assertThat(app.ensureAdmin(ADMIN_PASSWORD)).isEqualTo(Accounts.AdminCheck.CREATED);
    assertThat(app.ensureAdmin("another admin password"))
        .as("only when there is no admin")
        .isEqualTo(Accounts.AdminCheck.PRESENT);
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
    if (shortLeases != null) {
      shortLeases.close();
    }
    if (cql != null) {
      cql.close();
    }
  }

  // ---- accounts and sessions ----------------------------------------------------------------

  @Test
  @Order(1)
  void the_admin_creates_raters_who_sign_in_with_a_secure_http_only_cookie() throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    assertThat(admin.me().path("role").asText()).isEqualTo("admin");
    for (String name : List.of("ann", "bob", "cy", "dora")) {
      HttpResponse<String> r =
          admin.send(
              "POST",
              "/api/admin/raters",
              "{\"username\":\"" + name + "\",\"password\":\"" + PASSWORD + "\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    assertThat(
            admin
                .send(
                    "POST",
                    "/api/admin/raters",
                    "{\"username\":\"ann\",\"password\":\"" + PASSWORD + "\"}")
                .statusCode())
        .as("a name is taken once")
        .isEqualTo(409);

    HttpResponse<String> login = login("ann", PASSWORD);
    assertThat(login.statusCode()).isEqualTo(200);
    String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie)
        .startsWith(RaterApp.COOKIE + "=")
        .contains("HttpOnly")
        .contains("Secure")
        .containsIgnoringCase("SameSite=Strict")
        .contains("Path=/");
    String hash =
        cql.execute("SELECT password_hash FROM raters WHERE username = 'ann'").one().getString(0);
    assertThat(hash).startsWith("$argon2id$").doesNotContain(PASSWORD);
    String token = setCookie.substring(RaterApp.COOKIE.length() + 1, setCookie.indexOf(';'));
    assertThat(
            cql.execute("SELECT count(*) FROM rater_sessions WHERE token_hash = ?", token)
                .one()
                .getLong(0))
        .as("the token itself is not stored")
        .isZero();

    assertThat(login("ann", "wrong password!").statusCode()).isEqualTo(401);
    HttpResponse<String> unknown = login("nobody", PASSWORD);
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.body())
        .isEqualTo(login("ann", "wrong password!").body())
        .contains("wrong username or password");

    assertThat(get("/api/me", null).statusCode()).isEqualTo(401);
    HttpResponse<String> page = get("/", null);
    assertThat(page.statusCode()).isEqualTo(302);
    assertThat(page.headers().firstValue("Location")).hasValue("/login?next=/");
    Session ann = signIn("ann", PASSWORD);
    assertThat(get("/", ann.cookie).statusCode()).isEqualTo(200);
    assertThat(get("/", ann.cookie).headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'");
    assertThat(get("/admin", ann.cookie).statusCode()).as("a rater is not an admin").isEqualTo(403);
    assertThat(ann.send("GET", "/api/admin/raters", null).statusCode()).isEqualTo(403);

    HttpResponse<String> form =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=ann&password=x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(form.statusCode()).as("a cross-site form cannot sign anyone in").isEqualTo(415);

    Session other = signIn("bob", PASSWORD);
    assertThat(other.send("POST", "/api/logout", "{}").statusCode()).isEqualTo(204);
    assertThat(other.send("GET", "/api/me", null).statusCode()).as("signed out").isEqualTo(401);

    // A disabled rater's sessions stop working (within the 30 s account cache; this instance
    // drops its cache entry at once) and they cannot sign in.
    Session cy = signIn("cy", PASSWORD);
    assertThat(admin.send("PATCH", "/api/admin/raters/cy", "{\"disabled\":true}").statusCode())
        .isEqualTo(200);
    assertThat(cy.send("GET", "/api/me", null).statusCode()).isEqualTo(401);
    assertThat(login("cy", PASSWORD).statusCode()).isEqualTo(401);
    assertThat(admin.send("PATCH", "/api/admin/raters/cy", "{\"disabled\":false}").statusCode())
        .isEqualTo(200);
    // Enabled again, the sessions it had stay over; a new sign-in works.
    assertThat(cy.send("GET", "/api/me", null).statusCode()).isEqualTo(401);
    assertThat(login("cy", PASSWORD).statusCode()).isEqualTo(200);

    // A password reset ends the sessions opened with the old password (one of them perhaps a
    // thief's), and the cache of sessions does not keep them alive; the role change does not.
    Session cy1 = signIn("cy", PASSWORD);
    Session cy2 = signIn("cy", PASSWORD);
    assertThat(cy1.send("GET", "/api/me", null).statusCode()).isEqualTo(200);
    assertThat(admin.send("PATCH", "/api/admin/raters/cy", "{\"queue\":\"default\"}").statusCode())
        .isEqualTo(200);
    assertThat(cy1.send("GET", "/api/me", null).statusCode()).isEqualTo(200);
    String newPassword = "another long password";
    HttpResponse<String> reset =
        admin.send("PATCH", "/api/admin/raters/cy", "{\"password\":\"" + newPassword + "\"}");
    assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
    assertThat(cy1.send("GET", "/api/me", null).statusCode()).isEqualTo(401);
    assertThat(cy2.send("GET", "/api/me", null).statusCode()).isEqualTo(401);
    assertThat(login("cy", PASSWORD).statusCode()).isEqualTo(401);
    Session cy3 = signIn("cy", newPassword);
    assertThat(cy3.send("GET", "/api/me", null).statusCode()).isEqualTo(200);
    assertThat(
            admin
                .send("PATCH", "/api/admin/raters/cy", "{\"password\":\"" + PASSWORD + "\"}")
                .statusCode())
        .isEqualTo(200);

    // Nor can an admin take its own admin role (with the last admin gone, nobody could manage
    // accounts again); it stays an admin.
    HttpResponse<String> demote =
        admin.send("PATCH", "/api/admin/raters/admin", "{\"role\":\"rater\"}");
    assertThat(demote.statusCode()).isEqualTo(400);
    assertThat(demote.body()).contains("role").contains("your own account");
    assertThat(admin.send("GET", "/api/admin/raters", null).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(2)
  void every_write_needs_the_sessions_csrf_token_and_our_origin() throws Exception {
    Session ann = signIn("ann", PASSWORD);
    HttpResponse<String> none = send("POST", "/api/pairs/next", "{}", Map.of("Cookie", ann.cookie));
    assertThat(none.statusCode()).isEqualTo(403);
    assertThat(none.body()).contains("CSRF");
    HttpResponse<String> wrong =
        send(
            "POST",
            "/api/pairs/next",
            "{}",
            Map.of("Cookie", ann.cookie, RaterApp.CSRF_HEADER, "x" + ann.csrf));
    assertThat(wrong.statusCode()).isEqualTo(403);
    Session bob = signIn("bob", PASSWORD);
    HttpResponse<String> someoneElses =
        send(
            "POST",
            "/api/pairs/next",
            "{}",
            Map.of("Cookie", ann.cookie, RaterApp.CSRF_HEADER, bob.csrf));
    assertThat(someoneElses.statusCode()).as("another session's token").isEqualTo(403);
    HttpResponse<String> evil =
        send(
            "POST",
            "/api/pairs/next",
            "{}",
            Map.of(
                "Cookie",
                ann.cookie,
                RaterApp.CSRF_HEADER,
                ann.csrf,
                "Origin",
                "https://evil.example"));
    assertThat(evil.statusCode()).isEqualTo(403);
    assertThat(evil.body())
        .as("what a proxy that does not pass the Host on sees: a hint")
        .contains("cross-origin", "Host 127.0.0.1:", "proxy_set_header Host $http_host");
    // Origins with no host (a sandboxed frame sends "null"): refused too, not a 500.
    for (String hostless : List.of("null", "foo:bar")) {
      HttpResponse<String> r =
          send(
              "POST",
              "/api/pairs/next",
              "{}",
              Map.of("Cookie", ann.cookie, RaterApp.CSRF_HEADER, ann.csrf, "Origin", hostless));
      assertThat(r.statusCode()).as(hostless).isEqualTo(403);
      assertThat(r.body()).contains("cross-origin");
    }
    HttpResponse<String> ok = ann.send("POST", "/api/pairs/next", "{\"reset\":true}");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(Json.mapper().readTree(ok.body()).path("pair").path("lease").asText()).isNotEmpty();
    assertThat(ann.send("POST", "/api/pairs/next", "{\"reset\":true}").statusCode()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void malformed_requests_are_400s_that_name_the_field() throws Exception {
    Session ann = signIn("ann", PASSWORD);
    Session admin = signIn("admin", ADMIN_PASSWORD);
    String lease = ann.next().path("lease").asText();
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("{\"lease\":\"" + lease + "\"}", "scores");
    cases.put(
        "{\"lease\":\"" + lease + "\",\"scores\":{\"usefulness\":1,\"memeness\":1}}",
        "scores.aesthetics");
    cases.put(
        "{\"lease\":\""
            + lease
            + "\",\"scores\":{\"usefulness\":3,\"memeness\":1,\"aesthetics\":0}}",
        "scores.usefulness");
    cases.put(
        "{\"lease\":\""
            + lease
            + "\",\"scores\":{\"usefulness\":\"x\",\"memeness\":1,\"aesthetics\":0}}",
        "scores.usefulness");
    cases.put(
        "{\"lease\":\""
            + lease
            + "\",\"scores\":{\"usefulness\":1.5,\"memeness\":1,\"aesthetics\":0}}",
        "scores.usefulness");
    cases.put(
        "{\"lease\":\""
            + lease
            + "\",\"scores\":{\"usefulness\":1,\"memeness\":1,\"aesthetics\":0,\"color\":1}}",
        "scores.color");
    cases.put(
        "{\"lease\":\""
            + lease
            + "\",\"scores\":"
            + Json.mapper().writeValueAsString(SCORES)
            + ",\"extra\":1}",
        "extra");
    cases.put("{\"lease\":\"not-a-uuid\",\"scores\":{}}", "lease");
    cases.put("{\"lease\":7,\"scores\":{}}", "lease");
    cases.put("{\"scores\":{}}", "lease");
    cases.put("[1,2]", "body");
    cases.put("{\"lease\":", "body");
    cases.put("", "body");
    for (var c : cases.entrySet()) {
      HttpResponse<String> r = ann.send("POST", "/api/ratings", c.getKey());
      assertThat(r.statusCode()).as(c.getKey() + " -> " + r.body()).isEqualTo(400);
      assertThat(Json.mapper().readTree(r.body()).path("field").asText())
          .as(c.getKey())
          .isEqualTo(c.getValue());
    }
    HttpResponse<String> unknown =
        ann.send(
            "POST",
            "/api/ratings",
            "{\"lease\":\""
                + java.util.UUID.randomUUID()
                + "\",\"scores\":"
                + Json.mapper().writeValueAsString(SCORES)
                + "}");
    assertThat(unknown.statusCode()).isEqualTo(409);
    assertThat(Json.mapper().readTree(unknown.body()).path("field").asText()).isEqualTo("lease");
    HttpResponse<String> bobs =
        signIn("bob", PASSWORD).send("POST", "/api/ratings", rating(lease, SCORES));
    assertThat(bobs.statusCode()).as("a lease is its rater's alone").isEqualTo(409);
    assertThat(ann.send("GET", "/api/stats?tz=Mars/Olympus", null).statusCode()).isEqualTo(400);
    // Offsets are refused: each spelling ("+01:00:07") was a cache entry of its own.
    assertThat(ann.send("GET", "/api/stats?tz=%2B01:00:07", null).statusCode()).isEqualTo(400);
    // A rating whose tz this server does not know is still stored (the counts use UTC): refused,
    // the page would drop it.
    // (A queue of ivy's own, empty: a random pair, none of the queued ones later tests count.)
    admin.send(
        "POST",
        "/api/admin/raters",
        "{\"username\":\"ivy\",\"password\":\"" + PASSWORD + "\",\"queue\":\"ivy-q\"}");
    Session ivy = signIn("ivy", PASSWORD);
    HttpResponse<String> unknownZone =
        ivy.send(
            "POST",
            "/api/ratings?tz=Mars/Olympus",
            rating(ivy.next().path("lease").asText(), SCORES));
    assertThat(unknownZone.statusCode()).as(unknownZone.body()).isEqualTo(201);
    assertThat(ratingsOf("ivy")).hasSize(1);
    // A lease two days old whose release (from another device) was written a day after it: the
    // INSERT's cells have expired and the UPDATE's have not, so the row reads with a null pair.
    // Rating or skipping it was a 500 until 2026-12-07, retried by the page at the head of its
    // outbox, with every later rating queued behind it, for up to two more days. Such a row is
    // written here as the UPDATE alone leaves it: no pair is leased for it, so no queue entry
    // stays leased for later tests.
    String old = com.datastax.oss.driver.api.core.uuid.Uuids.timeBased().toString();
    cql.execute(
        "UPDATE rater_leases SET released = true WHERE rater = 'ivy' AND lease = ?",
        java.util.UUID.fromString(old));
    for (String path : List.of("/api/ratings", "/api/pairs/skip")) {
      HttpResponse<String> expired =
          ivy.send(
              "POST",
              path,
              path.equals("/api/ratings") ? rating(old, SCORES) : "{\"lease\":\"" + old + "\"}");
      assertThat(expired.statusCode()).as(path + " -> " + expired.body()).isEqualTo(409);
      assertThat(Json.mapper().readTree(expired.body()).path("field").asText()).isEqualTo("lease");
    }
    // Fields a request does not have are refused, as the serving API does, not ignored.
    HttpResponse<String> foo = ann.send("POST", "/api/pairs/next", "{\"foo\":1}");
    assertThat(foo.statusCode()).isEqualTo(400);
    assertThat(Json.mapper().readTree(foo.body()).path("field").asText()).isEqualTo("foo");
    HttpResponse<String> yes = ann.send("POST", "/api/pairs/next", "{\"reset\":\"yes\"}");
    assertThat(yes.statusCode()).isEqualTo(400);
    assertThat(Json.mapper().readTree(yes.body()).path("field").asText()).isEqualTo("reset");
    assertThat(
            ann.send("POST", "/api/ratings", "{\"x\":\"" + "y".repeat(1_100_000) + "\"}")
                .statusCode())
        .as("over the 1 MiB body limit")
        .isEqualTo(413);
    Map<String, String> adminCases = new java.util.LinkedHashMap<>();
    adminCases.put("{\"username\":\"eve\",\"password\":\"short\"}", "password");
    adminCases.put("{\"username\":\"e v e\",\"password\":\"" + PASSWORD + "\"}", "username");
    adminCases.put(
        "{\"username\":\"eve\",\"password\":\"" + PASSWORD + "\",\"role\":\"root\"}", "role");
    adminCases.put(
        "{\"username\":\"eve\",\"password\":\"" + PASSWORD + "\",\"queue\":\"Bad Queue\"}",
        "queue");
    adminCases.put("{\"username\":\"eve\",\"password\":\"" + PASSWORD + "\",\"extra\":1}", "extra");
    for (var c : adminCases.entrySet()) {
      HttpResponse<String> r = admin.send("POST", "/api/admin/raters", c.getKey());
      assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
      assertThat(Json.mapper().readTree(r.body()).path("field").asText()).isEqualTo(c.getValue());
    }
    HttpResponse<String> sameImage =
        admin.send(
            "POST",
            "/api/admin/queues/default/pairs",
            "{\"pairs\":[{\"left\":\""
                + images.get(0)
                + "\",\"right\":\""
                + images.get(0)
                + "\"}]}");
    assertThat(Json.mapper().readTree(sameImage.body()).path("field").asText())
        .isEqualTo("pairs[0].right");
    HttpResponse<String> notId =
        admin.send(
            "POST",
            "/api/admin/queues/default/pairs",
            "{\"pairs\":[{\"left\":\"../../etc\",\"right\":\"" + images.get(0) + "\"}]}");
    assertThat(Json.mapper().readTree(notId.body()).path("field").asText())
        .isEqualTo("pairs[0].left");
    // Well-formed ids of images that are not in the index: refused, and nothing is queued.
    String ghost = "0".repeat(32);
    HttpResponse<String> ghostPair =
        admin.send(
            "POST",
            "/api/admin/queues/ghost/pairs",
            "{\"pairs\":[{\"left\":\""
                + images.get(0)
                + "\",\"right\":\""
                + images.get(1)
                + "\"},{\"left\":\""
                + images.get(2)
                + "\",\"right\":\""
                + ghost
                + "\"}]}");
    assertThat(ghostPair.statusCode()).as(ghostPair.body()).isEqualTo(400);
    assertThat(Json.mapper().readTree(ghostPair.body()).path("field").asText())
        .isEqualTo("pairs[1].right");
    assertThat(ghostPair.body()).contains("no image has the id " + ghost);
    assertThat(cql.execute("SELECT pair_key FROM rating_queue WHERE queue = 'ghost'").all())
        .isEmpty();
    // The same two images twice in one list, the second time the other way round: refused, and
    // nothing is queued.
    HttpResponse<String> repeated =
        admin.send(
            "POST",
            "/api/admin/queues/twice/pairs",
            "{\"pairs\":[{\"left\":\""
                + images.get(0)
                + "\",\"right\":\""
                + images.get(1)
                + "\"},{\"left\":\""
                + images.get(2)
                + "\",\"right\":\""
                + images.get(3)
                + "\"},{\"left\":\""
                + images.get(1)
                + "\",\"right\":\""
                + images.get(0)
                + "\"}]}");
    assertThat(repeated.statusCode()).as(repeated.body()).isEqualTo(400);
    assertThat(Json.mapper().readTree(repeated.body()).path("field").asText())
        .isEqualTo("pairs[2]");
    assertThat(repeated.body()).contains("repeats pairs[0]");
    assertThat(cql.execute("SELECT pair_key FROM rating_queue WHERE queue = 'twice'").all())
        .isEmpty();
    assertThat(ann.send("GET", "/images/..%2F..%2Fetc/large", null).statusCode()).isEqualTo(400);
    assertThat(ann.send("GET", "/images/" + images.get(0) + "/huge", null).statusCode())
        .isEqualTo(400);
    assertThat(ann.send("POST", "/api/pairs/next", "{\"reset\":true}").statusCode()).isEqualTo(200);
  }

  // ---- the queue, leases and ratings --------------------------------------------------------

  @Test
  @Order(10)
  void queued_pairs_come_first_with_their_iteration_and_two_raters_never_hold_one_at_once()
      throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    List<String> pairs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      pairs.add(
          "{\"left\":\"" + images.get(2 * i) + "\",\"right\":\"" + images.get(2 * i + 1) + "\"}");
    }
    HttpResponse<String> added =
        admin.send(
            "POST",
            "/api/admin/queues/default/pairs",
            "{\"iteration\":\"al-1\",\"pairs\":[" + String.join(",", pairs) + "]}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    Session ann = signIn("ann", PASSWORD);
    Session bob = signIn("bob", PASSWORD);
    // A page load releases what the rater held and leases the first pair.
    List<JsonNode> first = List.of(ann.reset(), bob.reset());
    // Both ask at once, four times each: ten different queued pairs between them.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<JsonNode>>> got = new ArrayList<>();
      for (Session s : List.of(ann, bob)) {
        Callable<List<JsonNode>> four =
            () -> {
              List<JsonNode> out = new ArrayList<>();
              for (int i = 0; i < 4; i++) {
                out.add(s.next());
              }
              return out;
            };
        got.add(pool.submit(four));
      }
      Set<String> keys = new HashSet<>();
      List<JsonNode> all = new ArrayList<>(first);
      for (var f : got) {
        all.addAll(f.get(60, TimeUnit.SECONDS));
      }
      {
        for (JsonNode p : all) {
          assertThat(p.path("origin").asText()).as(p.toString()).isEqualTo("queue");
          assertThat(p.path("iteration").asText()).isEqualTo("al-1");
          assertThat(p.path("left").path("thumbnail").asText()).startsWith("/images/");
          assertThat(p.path("left").path("width").asInt()).isPositive();
          assertThat(keys.add(key(p))).as("one holder per pair").isTrue();
        }
      }
      assertThat(keys).hasSize(10);
    } finally {
      pool.shutdown();
    }
    assertThat(new RatingQueue(cql).summary("default").leased()).isEqualTo(10);
    JsonNode random = ann.next();
    assertThat(random.path("origin").asText()).as("all queued pairs are held").isEqualTo("random");
  }

  @Test
  @Order(11)
  void an_expired_lease_lets_another_rater_take_the_pair_and_the_late_rating_is_still_kept()
      throws Exception {
    MemescopeConfig shortConfig =
        io.memescope.infra.testing.TestStack.load(
            Map.of("cassandra.keyspace", config.cassandra().keyspace(), "rater.lease", "2s"));
    shortLeases = new RaterApp(shortConfig);
    String shortBase = "http://127.0.0.1:" + shortLeases.start("127.0.0.1", 0);
    Session annShort = new Session(shortBase, signIn("ann", PASSWORD));
    Session cyShort = new Session(shortBase, signIn("cy", PASSWORD));
    JsonNode held = annShort.reset(); // frees ann's five and takes one of them again
    assertThat(held.path("origin").asText()).isEqualTo("queue");
    Thread.sleep(2_500);
    Set<String> cys = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      cys.add(key(cyShort.next()));
    }
    assertThat(cys).as("cy takes the pair whose lease ran out").contains(key(held));
    HttpResponse<String> late =
        annShort.send("POST", "/api/ratings", rating(held.path("lease").asText(), SCORES));
    assertThat(late.statusCode()).as("nothing a rater enters is lost").isEqualTo(201);
    assertThat(ratingsOf("ann")).anyMatch(r -> r.getString("pair_key").equals(key(held)));
    cyShort.reset();
  }

  @Test
  @Order(12)
  void ratings_land_in_both_tables_once_even_when_resubmitted_and_rated_pairs_never_return()
      throws Exception {
    Session bob = signIn("bob", PASSWORD);
    JsonNode reset = bob.reset();
    int before = ratingsOf("bob").size();
    Set<String> rated = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      JsonNode p = i == 0 ? reset : bob.next();
      String body = rating(p.path("lease").asText(), SCORES);
      HttpResponse<String> first = bob.send("POST", "/api/ratings", body);
      assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
      HttpResponse<String> again = bob.send("POST", "/api/ratings", body);
      assertThat(Json.mapper().readTree(again.body()).path("id").asText())
          .as("a retried submission is the same rating")
          .isEqualTo(Json.mapper().readTree(first.body()).path("id").asText());
      if (i == 0) {
        // The same lease with other scores replaces them (the page sends that when the answer to
        // its first attempt was lost and the rater corrected the rating meanwhile), still as the
        // same rating; the rows are checked below, then put back.
        Map<String, Integer> other = new java.util.LinkedHashMap<>(SCORES);
        other.replaceAll((d, v) -> v == 2 ? -2 : 2);
        HttpResponse<String> changed =
            bob.send("POST", "/api/ratings", rating(p.path("lease").asText(), other));
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(201);
        assertThat(Json.mapper().readTree(changed.body()).path("id").asText())
            .isEqualTo(Json.mapper().readTree(first.body()).path("id").asText());
        String id = Json.mapper().readTree(first.body()).path("id").asText();
        assertThat(
                cql.execute(
                        "SELECT scores FROM ratings_by_rater WHERE rater = 'bob' AND rating_id = ?",
                        java.util.UUID.fromString(id))
                    .one()
                    .getMap("scores", String.class, Integer.class))
            .isEqualTo(other);
        assertThat(bob.send("POST", "/api/ratings", body).statusCode()).isEqualTo(201);
      }
      rated.add(key(p));
    }
    List<Row> rows = ratingsOf("bob");
    assertThat(rows).hasSize(before + 6);
    for (Row r : rows) {
      assertThat(r.getMap("scores", String.class, Integer.class)).isEqualTo(SCORES);
      Row byPair =
          cql.execute(
                  "SELECT rating_id FROM ratings_by_pair WHERE pair_key = ? AND rater = 'bob'",
                  r.getString("pair_key"))
              .one();
      assertThat(byPair.getUuid(0)).isEqualTo(r.getUuid("rating_id"));
    }
    // Queued pairs with all the ratings they wanted leave the queue.
    for (String k : new RatingQueue(cql).ratedBy("default").keySet()) {
      assertThat(rated).doesNotContain(k);
    }
    // bob's rated pairs, queued again (either way round) for two raters, go to others only.
    Session admin = signIn("admin", ADMIN_PASSWORD);
    List<String> again = new ArrayList<>();
    for (String k : rated) {
      String[] ids = k.split(":");
      again.add("{\"left\":\"" + ids[1] + "\",\"right\":\"" + ids[0] + "\"}");
    }
    admin.send("DELETE", "/api/admin/queues/default", null);
    admin.send(
        "POST",
        "/api/admin/queues/default/pairs",
        "{\"iteration\":\"al-2\",\"ratingsWanted\":2,\"pairs\":[" + String.join(",", again) + "]}");
    for (int i = 0; i < 8; i++) {
      JsonNode p = bob.next();
      assertThat(rated).as("bob never gets a pair he rated").doesNotContain(key(p));
      assertThat(p.path("origin").asText()).isEqualTo("random");
    }
    bob.reset();
  }

  @Test
  @Order(13)
  void two_raters_on_the_same_pairs_give_agreement_figures() throws Exception {
    // The six al-2 pairs are bob's, shown the other way round; ann rates them now.
    Session ann = signIn("ann", PASSWORD);
    JsonNode reset = ann.reset();
    int n = 0;
    List<String> shared = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      JsonNode p = i == 0 ? reset : ann.next();
      shared.add(key(p));
      assertThat(p.path("iteration").asText()).isEqualTo("al-2");
      // bob said usefulness -2 (left much better) as the pair was shown to him. ann agrees on the
      // side (with a 1-point preference, so never exactly) on three pairs and disagrees on three;
      // memeness is 0 for both, always.
      Row bobs =
          cql.execute(
                  "SELECT left_id, right_id FROM ratings_by_pair WHERE pair_key = ? AND rater = 'bob'",
                  key(p))
              .one();
      int bobSide = PairKey.inKeyOrder(bobs.getString(0), bobs.getString(1)) ? -1 : 1;
      int annOrientation =
          PairKey.inKeyOrder(
                  p.path("left").path("id").asText(), p.path("right").path("id").asText())
              ? 1
              : -1;
      int side = i < 3 ? bobSide : -bobSide;
      Map<String, Integer> s =
          Map.of("usefulness", side * annOrientation, "memeness", 0, "aesthetics", -1);
      assertThat(ann.send("POST", "/api/ratings", rating(p.path("lease").asText(), s)).statusCode())
          .isEqualTo(201);
      n++;
    }
    assertThat(n).isEqualTo(6);
    // The entries want two raters of their own (bob's ratings came before they were queued).
    assertThat(new RatingQueue(cql).ratedBy("default").values())
        .hasSize(6)
        .allMatch(r -> r.equals(Set.of("ann")));
    Thread.sleep(100);
    JsonNode stats = Json.mapper().readTree(ann.send("GET", "/api/stats", null).body());
    JsonNode agreement = stats.path("agreement");
    // ann's late rating of an al-1 pair that cy may also have rated adds at most one pair.
    assertThat(agreement.path("pairs").asInt()).isBetween(6, 7);
    JsonNode usefulness = agreement.path("dimensions").path("usefulness");
    int pairs = usefulness.path("pairs").asInt();
    // bob's pairs were random ones: cy may have rated one of them too (a third vote makes three
    // couples of that pair, and the shares are no longer halves). Seen in a CI run of 2026-12-07.
    boolean twoEach =
        shared.stream()
            .allMatch(
                k ->
                    cql.execute("SELECT count(*) FROM ratings_by_pair WHERE pair_key = ?", k)
                            .one()
                            .getLong(0)
                        == 2);
    if (pairs == 6 && twoEach) {
      assertThat(usefulness.path("sameSide").asDouble()).isEqualTo(0.5);
      assertThat(usefulness.path("exact").asDouble()).isEqualTo(0.0);
      assertThat(agreement.path("dimensions").path("memeness").path("exact").asDouble())
          .isEqualTo(1.0);
    }
    assertThat(stats.path("me").path("total").asInt()).isEqualTo(ratingsOf("ann").size());
    assertThat(stats.path("me").path("today").asInt()).isEqualTo(ratingsOf("ann").size());
    assertThat(stats.path("queue").path("depth").asInt()).isEqualTo(6);
    HttpResponse<String> cleared =
        signIn("admin", ADMIN_PASSWORD).send("DELETE", "/api/admin/queues/default", null);
    assertThat(Json.mapper().readTree(cleared.body()).path("removed").asInt()).isEqualTo(6);
  }

  @Test
  @Order(14)
  void undo_takes_back_the_last_rating_and_hands_its_pair_back_and_skip_drops_a_pair()
      throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    admin.send(
        "POST",
        "/api/admin/queues/default/pairs",
        "{\"iteration\":\"al-3\",\"pairs\":[{\"left\":\""
            + images.get(40)
            + "\",\"right\":\""
            + images.get(41)
            + "\"},{\"left\":\""
            + images.get(42)
            + "\",\"right\":\""
            + images.get(43)
            + "\"}]}");
    Session dora = signIn("dora", PASSWORD);
    JsonNode p = dora.reset();
    assertThat(p.path("iteration").asText()).isEqualTo("al-3");
    String oldLease = p.path("lease").asText();
    assertThat(dora.send("POST", "/api/ratings", rating(oldLease, SCORES)).statusCode())
        .isEqualTo(201);
    assertThat(new RatingQueue(cql).depth("default")).isEqualTo(1);

    HttpResponse<String> undo = dora.send("POST", "/api/ratings/undo", "{}");
    assertThat(undo.statusCode()).as(undo.body()).isEqualTo(200);
    JsonNode back = Json.mapper().readTree(undo.body());
    assertThat(key(back.path("pair"))).isEqualTo(key(p));
    assertThat(back.path("pair").path("left").path("id").asText())
        .isEqualTo(p.path("left").path("id").asText());
    assertThat(back.path("scores").path("usefulness").asInt()).isEqualTo(-2);
    assertThat(ratingsOf("dora")).isEmpty();
    assertThat(
            cql.execute(
                    "SELECT count(*) FROM ratings_by_pair WHERE pair_key = ? AND rater = 'dora'",
                    key(p))
                .one()
                .getLong(0))
        .isZero();
    assertThat(new RatingQueue(cql).depth("default")).as("the queued pair is back").isEqualTo(2);
    assertThat(dora.send("POST", "/api/ratings", rating(oldLease, SCORES)).statusCode())
        .as("a late retry of the undone submission stores nothing")
        .isEqualTo(409);
    assertThat(ratingsOf("dora")).isEmpty();
    Map<String, Integer> changed = Map.of("usefulness", 2, "memeness", 1, "aesthetics", 0);
    assertThat(
            dora.send(
                    "POST",
                    "/api/ratings",
                    rating(back.path("pair").path("lease").asText(), changed))
                .statusCode())
        .isEqualTo(201);
    assertThat(ratingsOf("dora"))
        .singleElement()
        .satisfies(
            r -> assertThat(r.getMap("scores", String.class, Integer.class)).isEqualTo(changed));

    JsonNode skipped = dora.next();
    assertThat(skipped.path("iteration").asText()).isEqualTo("al-3");
    assertThat(
            dora.send(
                    "POST",
                    "/api/pairs/skip",
                    "{\"lease\":\"" + skipped.path("lease").asText() + "\"}")
                .statusCode())
        .isEqualTo(204);
    for (int i = 0; i < 5; i++) {
      assertThat(key(dora.next()))
          .as("a skipped pair does not come back")
          .isNotEqualTo(key(skipped));
    }
    JsonNode taken = signIn("bob", PASSWORD).next();
    assertThat(key(taken)).as("the skipped pair is free for others").isEqualTo(key(skipped));
    assertThat(ratingsOf("dora")).hasSize(1);
    dora.reset();
    // Undo twice: the second undoes nothing more than dora's one rating.
    assertThat(dora.send("POST", "/api/ratings/undo", "{}").statusCode()).isEqualTo(200);
    assertThat(dora.send("POST", "/api/ratings/undo", "{}").statusCode()).isEqualTo(404);
  }

  @Test
  @Order(14)
  void an_undo_that_fails_half_way_keeps_the_rating_and_the_pair_and_sent_again_finishes()
      throws Exception {
    // A queued pair rated as often as it wanted has left the queue. Until 2026-12-07 an undo
    // deleted the rating first and put the pair back after: failing in between (Cassandra away),
    // it lost the pair for good (the rating gone, the queue without it, and the undo sent again
    // a 409). Now the pair is handed back first.
    Session admin = signIn("admin", ADMIN_PASSWORD);
    createRater(admin, "mia", "mia-q");
    enqueue(admin, "mia-q", "al-12", 34, 35);
    Session mia = signIn("mia", PASSWORD);
    JsonNode p = mia.reset();
    String lease = p.path("lease").asText();
    assertThat(mia.send("POST", "/api/ratings", rating(lease, SCORES)).statusCode()).isEqualTo(201);
    assertThat(new RatingQueue(cql).depth("mia-q")).isZero();

    String undo = "{\"lease\":\"" + lease + "\"}";
    // First it fails after writing the hand-back's lease, before the queue's writes; sent again,
    // after the queue's writes, before the rating is deleted.
    HttpResponse<String> failed = failUndoAt(mia, undo, "queue");
    assertThat(failed.statusCode()).as(failed.body()).isGreaterThanOrEqualTo(500);
    assertThat(ratingsOf("mia")).as("the rating, not undone yet").hasSize(1);
    failed = failUndoAt(mia, undo, "deletes");
    assertThat(failed.statusCode()).as(failed.body()).isGreaterThanOrEqualTo(500);
    assertThat(ratingsOf("mia")).as("the rating, not undone yet").hasSize(1);
    List<Row> entries =
        cql.execute("SELECT pair_key, leased_by FROM rating_queue WHERE queue = 'mia-q'").all();
    assertThat(entries).as("the pair, back in its queue once, held for mia").hasSize(1);
    assertThat(entries.get(0).getString("pair_key")).isEqualTo(key(p));
    assertThat(entries.get(0).getString("leased_by")).isEqualTo("mia");
    // The page reloads after the error: what mia held is released (the hand-back's lease too).
    mia.reset();

    HttpResponse<String> again = mia.send("POST", "/api/ratings/undo", undo);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    JsonNode back = Json.mapper().readTree(again.body()).path("pair");
    assertThat(key(back)).isEqualTo(key(p));
    assertThat(ratingsOf("mia")).isEmpty();
    assertThat(cql.execute("SELECT pair_key FROM rating_queue WHERE queue = 'mia-q'").all())
        .as("still once: the undos sent again used the place the first one chose")
        .hasSize(1);
    assertThat(
            cql.execute("SELECT leased_by FROM rating_queue WHERE queue = 'mia-q'")
                .one()
                .getString("leased_by"))
        .as("held for mia again")
        .isEqualTo("mia");
    assertThat(
            mia.send("POST", "/api/ratings", rating(back.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    assertThat(new RatingQueue(cql).depth("mia-q")).isZero();

    // A pair wanted twice, whose entry stays after mia's rating. Her undo fails before the
    // queue's writes, ned takes the entry, and the undo is sent again: the entry stays where it
    // is, ned's, without mia's rating (the place the first try chose, at the queue's end, had no
    // entry yet and is given up). A first version of this change wrote the pair there and deleted
    // ned's entry from under him.
    createRater(admin, "ned", "mia-q");
    enqueue(admin, "mia-q", "al-12", 2, 36, 37);
    JsonNode q = mia.next();
    assertThat(q.path("iteration").asText()).isEqualTo("al-12");
    String qUndo = rateThenFailUndoAt(mia, q, "queue");
    Session ned = signIn("ned", PASSWORD);
    assertThat(key(ned.next())).as("ned takes the entry").isEqualTo(key(q));
    HttpResponse<String> finished = mia.send("POST", "/api/ratings/undo", qUndo);
    assertThat(finished.statusCode()).as(finished.body()).isEqualTo(200);
    List<Row> left = entriesOf("mia-q", key(q));
    assertThat(left).as("the pair, once").hasSize(1);
    assertThat(left.get(0).getString("leased_by")).as("still ned's").isEqualTo("ned");
    assertThat(left.get(0).getSet("rated_by", String.class)).doesNotContain("mia");

    // Another pair wanted twice. Mia's undo fails after the pair's new entry is written, before
    // the old one is deleted; ona takes the old entry (free once rated), and the undo is sent
    // again: ona's entry stays hers. Until 2026-12-07 the undo deleted it from under her, and her
    // rating never counted on any entry.
    createRater(admin, "ona", "mia-q");
    enqueue(admin, "mia-q", "al-12", 2, 46, 47);
    JsonNode o = mia.reset();
    assertThat(key(o)).isEqualTo(PairKey.of(images.get(46), images.get(47)));
    String oUndo = rateThenFailUndoAt(mia, o, "requeued");
    Session ona = signIn("ona", PASSWORD);
    JsonNode onas = ona.next();
    assertThat(key(onas)).as("ona takes the old entry").isEqualTo(key(o));
    HttpResponse<String> oDone = mia.send("POST", "/api/ratings/undo", oUndo);
    assertThat(oDone.statusCode()).as(oDone.body()).isEqualTo(200);
    JsonNode oBack = Json.mapper().readTree(oDone.body()).path("pair");
    assertThat(entriesOf("mia-q", key(o)))
        .as("ona's entry and mia's new one")
        .extracting(r -> r.getString("leased_by"))
        .containsExactlyInAnyOrder("ona", "mia");
    // Ona's rating counts on her entry, which leaves the queue with two names on it (mia's is
    // still there); mia's new entry wants one rating more than hers: the pair gets one more than
    // it wanted, the cost of a race the undo does not take the entry from ona for.
    assertThat(
            ona.send("POST", "/api/ratings", rating(onas.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    assertThat(
            mia.send("POST", "/api/ratings", rating(oBack.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    List<Row> leftOfO = entriesOf("mia-q", key(o));
    assertThat(leftOfO).hasSize(1);
    assertThat(leftOfO.get(0).getSet("rated_by", String.class)).containsExactly("mia");

    // A rating whose last write failed: the entry is still held by mia, without her name. Her
    // undo moves the pair to the queue's end and deletes the old entry all the same (a first
    // version of the delete above left it, for another rater to take once her lease ran out).
    enqueue(admin, "mia-q", "al-12", 48, 49);
    JsonNode h = mia.next();
    assertThat(key(h)).isEqualTo(PairKey.of(images.get(48), images.get(49)));
    Row held =
        cql.execute(
                "SELECT rank, left_id, right_id, ratings_wanted, lease_until, enqueued_at"
                    + " FROM rating_queue WHERE queue = 'mia-q' AND pair_key = ? ALLOW FILTERING",
                key(h))
            .one();
    String hLease = h.path("lease").asText();
    assertThat(mia.send("POST", "/api/ratings", rating(hLease, SCORES)).statusCode())
        .isEqualTo(201);
    cql.execute(
        "INSERT INTO rating_queue (queue, rank, pair_key, left_id, right_id, iteration,"
            + " ratings_wanted, rated_by, leased_by, lease_until, enqueued_at)"
            + " VALUES ('mia-q', ?, ?, ?, ?, 'al-12', ?, {}, 'mia', ?, ?)",
        held.getLong("rank"),
        key(h),
        held.getString("left_id"),
        held.getString("right_id"),
        held.getInt("ratings_wanted"),
        held.getInstant("lease_until"),
        held.getInstant("enqueued_at"));
    HttpResponse<String> hUndo =
        mia.send("POST", "/api/ratings/undo", "{\"lease\":\"" + hLease + "\"}");
    assertThat(hUndo.statusCode()).as(hUndo.body()).isEqualTo(200);
    List<Row> leftOfH = entriesOf("mia-q", key(h));
    assertThat(leftOfH).as("the pair, once, at the queue's end, held for mia").hasSize(1);
    assertThat(leftOfH.get(0).getString("leased_by")).isEqualTo("mia");
  }

  @Test
  @Order(14)
  void an_undo_leaves_a_pair_another_rater_holds_with_them_and_a_cleared_queue_empty()
      throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    createRater(admin, "kit", "two-q");
    createRater(admin, "lev", "two-q");
    enqueue(admin, "two-q", "al-2x", 2, 32, 33);
    Session kit = signIn("kit", PASSWORD);
    Session lev = signIn("lev", PASSWORD);
    JsonNode kits = kit.reset();
    assertThat(kits.path("iteration").asText()).isEqualTo("al-2x");
    assertThat(
            kit.send("POST", "/api/ratings", rating(kits.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    // Wanted twice: lev takes it while kit's rating stands.
    JsonNode levs = lev.reset();
    assertThat(key(levs)).isEqualTo(key(kits));
    HttpResponse<String> undo = kit.send("POST", "/api/ratings/undo", "{}");
    assertThat(undo.statusCode()).as(undo.body()).isEqualTo(200);
    JsonNode back = Json.mapper().readTree(undo.body()).path("pair");
    assertThat(key(back)).isEqualTo(key(kits));
    // The entry stays where it was, lev's, without kit's rating. Until 2026-12-06 the undo moved
    // it from under lev, and his rating never counted on it.
    List<Row> entries =
        cql.execute("SELECT leased_by, rated_by FROM rating_queue WHERE queue = 'two-q'").all();
    assertThat(entries).hasSize(1);
    assertThat(entries.get(0).getString("leased_by")).isEqualTo("lev");
    assertThat(entries.get(0).getSet("rated_by", String.class)).isEmpty();
    // Both rate it: it has the two ratings it wanted, and leaves the queue.
    assertThat(
            lev.send("POST", "/api/ratings", rating(levs.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    assertThat(
            kit.send("POST", "/api/ratings", rating(back.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    assertThat(new RatingQueue(cql).depth("two-q")).isZero();

    // A rating undone after an admin cleared its queue: the pair comes back to the rater, but not
    // into the queue the admin emptied (until 2026-12-06 it did).
    enqueue(admin, "two-q", "al-2y", 34, 35);
    JsonNode queued = kit.next();
    assertThat(queued.path("iteration").asText()).isEqualTo("al-2y");
    assertThat(
            kit.send("POST", "/api/ratings", rating(queued.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    assertThat(admin.send("DELETE", "/api/admin/queues/two-q", null).statusCode()).isEqualTo(200);
    HttpResponse<String> afterClear = kit.send("POST", "/api/ratings/undo", "{}");
    assertThat(afterClear.statusCode()).as(afterClear.body()).isEqualTo(200);
    JsonNode handedBack = Json.mapper().readTree(afterClear.body()).path("pair");
    assertThat(key(handedBack)).isEqualTo(key(queued));
    assertThat(new RatingQueue(cql).depth("two-q"))
        .as("not put back into the cleared queue")
        .isZero();
    assertThat(
            kit.send("POST", "/api/ratings", rating(handedBack.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    assertThat(ratingsOf("kit")).anyMatch(r -> r.getString("pair_key").equals(key(queued)));
    assertThat(new RatingQueue(cql).depth("two-q")).isZero();
    // That rating, of the pair handed back, undone in turn: the rating is newer than the clear,
    // the entry it came from older, and the pair still stays out of the queue.
    HttpResponse<String> again = kit.send("POST", "/api/ratings/undo", "{}");
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertThat(new RatingQueue(cql).depth("two-q"))
        .as("not put back by a second undo (until 2026-12-07 it was)")
        .isZero();
    kit.reset();

    // A pair held when the admin cleared its queue, rated after the clear, and undone: out of
    // the queue as well (until 2026-12-07 only a rating from before the clear was kept out).
    enqueue(admin, "two-q", "al-2z", 36, 37);
    JsonNode held = kit.next();
    assertThat(held.path("iteration").asText()).isEqualTo("al-2z");
    assertThat(admin.send("DELETE", "/api/admin/queues/two-q", null).statusCode()).isEqualTo(200);
    assertThat(
            kit.send("POST", "/api/ratings", rating(held.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    HttpResponse<String> heldUndo = kit.send("POST", "/api/ratings/undo", "{}");
    assertThat(heldUndo.statusCode()).as(heldUndo.body()).isEqualTo(200);
    assertThat(key(Json.mapper().readTree(heldUndo.body()).path("pair"))).isEqualTo(key(held));
    assertThat(new RatingQueue(cql).depth("two-q"))
        .as("a pair rated after the clear is not put back either")
        .isZero();
    kit.reset();

    // A pair on two of kit's devices: the first device's lease was released when the second
    // asked for pairs, and the second holds it now. Skipping it on the first leaves it with the
    // second; until 2026-12-07 it freed the entry, and lev could take the pair kit had on screen.
    enqueue(admin, "two-q", "al-2s", 38, 39);
    JsonNode firstDevice = kit.next();
    JsonNode secondDevice = kit.reset();
    assertThat(key(secondDevice)).isEqualTo(key(firstDevice));
    assertThat(
            kit.send(
                    "POST",
                    "/api/pairs/skip",
                    "{\"lease\":\"" + firstDevice.path("lease").asText() + "\"}")
                .statusCode())
        .isEqualTo(204);
    assertThat(
            cql.execute("SELECT leased_by FROM rating_queue WHERE queue = 'two-q'")
                .one()
                .getString("leased_by"))
        .isEqualTo("kit");
    assertThat(lev.reset().path("iteration").asText())
        .as("lev is not handed the pair kit holds")
        .isNotEqualTo("al-2s");
    assertThat(
            kit.send("POST", "/api/ratings", rating(secondDevice.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    assertThat(new RatingQueue(cql).depth("two-q")).isZero();
  }

  @Test
  @Order(14)
  void an_undo_sent_again_takes_back_nothing_more_and_a_pair_leased_unseen_is_released()
      throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    createRater(admin, "gil", "gil-q");
    List<String> queued = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      queued.add(
          "{\"left\":\"" + images.get(44 + i) + "\",\"right\":\"" + images.get(50 + i) + "\"}");
    }
    admin.send(
        "POST",
        "/api/admin/queues/gil-q/pairs",
        "{\"iteration\":\"al-9\",\"pairs\":[" + String.join(",", queued) + "]}");
    Session gil = signIn("gil", PASSWORD);
    JsonNode first = gil.reset();
    assertThat(
            gil.send("POST", "/api/ratings", rating(first.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    JsonNode second = gil.next();
    String secondLease = second.path("lease").asText();
    assertThat(gil.send("POST", "/api/ratings", rating(secondLease, SCORES)).statusCode())
        .isEqualTo(201);

    // The page names the rating it means. The first undo lands, and its answer is lost: the page
    // never learns the new lease its pair is held on, and the rater presses Backspace again.
    String undo = "{\"lease\":\"" + secondLease + "\"}";
    assertThat(gil.send("POST", "/api/ratings/undo", undo).statusCode()).isEqualTo(200);
    HttpResponse<String> again = gil.send("POST", "/api/ratings/undo", undo);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
    assertThat(ratingsOf("gil"))
        .as("the rating before the one undone stays")
        .singleElement()
        .satisfies(r -> assertThat(r.getString("pair_key")).isEqualTo(key(first)));
    Row held =
        cql.execute(
                "SELECT leased_by FROM rating_queue WHERE queue = 'gil-q' AND pair_key = ?"
                    + " ALLOW FILTERING",
                key(second))
            .one();
    assertThat(held.getString("leased_by"))
        .as("the undone pair, held on the lost lease")
        .isEqualTo("gil");

    // The page's next request lists what it knows it holds (nothing): the pair held on the lease
    // it never learned of goes back, for others and for gil.
    assertThat(gil.send("POST", "/api/pairs/next", "{\"keep\":[],\"reset\":true}").statusCode())
        .isEqualTo(400);
    HttpResponse<String> next = gil.send("POST", "/api/pairs/next", "{\"keep\":[]}");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    JsonNode third = Json.mapper().readTree(next.body()).path("pair");
    assertThat(key(third)).isNotIn(key(first), key(second));
    assertThat(
            cql.execute(
                    "SELECT leased_by FROM rating_queue WHERE queue = 'gil-q' AND pair_key = ?"
                        + " ALLOW FILTERING",
                    key(second))
                .one()
                .getString("leased_by"))
        .as("released by the keep list")
        .isNull();
    // A keep list keeps what it names: the pair on screen stays held.
    HttpResponse<String> kept =
        gil.send(
            "POST", "/api/pairs/next", "{\"keep\":[\"" + third.path("lease").asText() + "\"]}");
    assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
    assertThat(key(Json.mapper().readTree(kept.body()).path("pair")))
        .as("the pair released above, not the one kept")
        .isEqualTo(key(second));
    assertThat(
            cql.execute(
                    "SELECT leased_by FROM rating_queue WHERE queue = 'gil-q' AND pair_key = ?"
                        + " ALLOW FILTERING",
                    key(third))
                .one()
                .getString("leased_by"))
        .isEqualTo("gil");

    // A page opened on another device keeps nothing of this one's: the pair on screen here is
    // released and leased to the other page. Rated there, it is not rated here a second time.
    HttpResponse<String> elsewhere = gil.send("POST", "/api/pairs/next", "{\"keep\":[]}");
    JsonNode there = Json.mapper().readTree(elsewhere.body()).path("pair");
    assertThat(key(there)).isEqualTo(key(third));
    assertThat(
            gil.send("POST", "/api/ratings", rating(there.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    HttpResponse<String> twice =
        gil.send("POST", "/api/ratings", rating(third.path("lease").asText(), SCORES));
    assertThat(twice.statusCode()).as(twice.body()).isEqualTo(409);
    assertThat(twice.body()).contains("rated this pair already");
    assertThat(ratingsOf("gil"))
        .filteredOn(r -> r.getString("pair_key").equals(key(third)))
        .hasSize(1);
  }

  @Test
  @Order(14)
  void two_pages_submitting_one_pair_at_the_same_instant_store_one_rating() throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    createRater(admin, "hal", "hal-q");
    int rounds = 6;
    List<String> queued = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      queued.add(
          "{\"left\":\"" + images.get(10 + i) + "\",\"right\":\"" + images.get(20 + i) + "\"}");
    }
    HttpResponse<String> enqueued =
        admin.send(
            "POST",
            "/api/admin/queues/hal-q/pairs",
            "{\"iteration\":\"al-10\",\"pairs\":[" + String.join(",", queued) + "]}");
    assertThat(enqueued.statusCode()).as(enqueued.body()).isBetween(200, 299);
    Session hal = signIn("hal", PASSWORD);
    Map<String, Integer> corrected = Map.of("usefulness", 2, "memeness", 0, "aesthetics", -1);
    ExecutorService pages = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < rounds; i++) {
        // One page leases the pair; a page opened on another device releases it and leases it
        // again. Both send their rating at once, as a rater with two devices might.
        JsonNode here = lease(hal);
        JsonNode there = lease(hal);
        assertThat(key(there)).isEqualTo(key(here));
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Future<HttpResponse<String>> a =
            pages.submit(
                () -> {
                  go.await();
                  return hal.send(
                      "POST", "/api/ratings", rating(here.path("lease").asText(), SCORES));
                });
        Future<HttpResponse<String>> b =
            pages.submit(
                () -> {
                  go.await();
                  return hal.send(
                      "POST", "/api/ratings", rating(there.path("lease").asText(), corrected));
                });
        go.countDown();
        HttpResponse<String> ra = a.get(30, TimeUnit.SECONDS);
        HttpResponse<String> rb = b.get(30, TimeUnit.SECONDS);
        String round = "round " + i + ": " + ra.body() + " / " + rb.body();
        assertThat(List.of(ra.statusCode(), rb.statusCode()))
            .as(round)
            .containsExactlyInAnyOrder(201, 409);
        HttpResponse<String> refused = ra.statusCode() == 409 ? ra : rb;
        assertThat(refused.body()).contains("rated this pair already");
        List<Row> mine =
            ratingsOf("hal").stream()
                .filter(r -> r.getString("pair_key").equals(key(here)))
                .toList();
        assertThat(mine).as(round).hasSize(1);
        Row counted =
            cql.execute(
                    "SELECT rating_id, scores FROM ratings_by_pair WHERE pair_key = ? AND rater ="
                        + " 'hal'",
                    key(here))
                .one();
        assertThat(counted).as(round).isNotNull();
        assertThat(counted.getUuid("rating_id"))
            .as("training counts the rating the rater's list holds")
            .isEqualTo(mine.get(0).getUuid("rating_id"));
        assertThat(counted.getMap("scores", String.class, Integer.class))
            .isEqualTo(mine.get(0).getMap("scores", String.class, Integer.class));
      }
    } finally {
      pages.shutdownNow();
    }
    // Undo still takes the stored rating off both tables and hands the pair back.
    HttpResponse<String> undone = hal.send("POST", "/api/ratings/undo", "{}");
    assertThat(undone.statusCode()).as(undone.body()).isEqualTo(200);
    String back = key(Json.mapper().readTree(undone.body()).path("pair"));
    assertThat(ratingsOf("hal")).hasSize(rounds - 1);
    assertThat(
            cql.execute(
                    "SELECT rating_id FROM ratings_by_pair WHERE pair_key = ? AND rater = 'hal'",
                    back)
                .one())
        .isNull();
  }

  /**
   * Rates {@code pair} on {@code page}, then undoes that rating, failing the undo at {@code stage};
   * the body that sends the undo again.
   */
  private String rateThenFailUndoAt(Session page, JsonNode pair, String stage) throws Exception {
    String lease = pair.path("lease").asText();
    assertThat(page.send("POST", "/api/ratings", rating(lease, SCORES)).statusCode())
        .isEqualTo(201);
    String undo = "{\"lease\":\"" + lease + "\"}";
    HttpResponse<String> failed = failUndoAt(page, undo, stage);
    assertThat(failed.statusCode()).as(failed.body()).isGreaterThanOrEqualTo(500);
    return undo;
  }

  /** The entries of a pair in a rating queue: who holds each, and who rated it. */
  private List<Row> entriesOf(String queue, String pairKey) {
    return cql.execute(
            "SELECT leased_by, rated_by FROM rating_queue WHERE queue = ? AND pair_key = ?"
                + " ALLOW FILTERING",
            queue,
            pairKey)
        .all();
  }

  /** Sends {@code body} to undo, failing the undo at {@code stage} ({@link Ratings#midUndo}). */
  private HttpResponse<String> failUndoAt(Session page, String body, String stage)
      throws Exception {
    app.ratings().midUndo =
        at -> {
          if (at.equals(stage)) {
            throw new IllegalStateException("the undo fails at " + stage + ", on purpose");
          }
        };
    try {
      return page.send("POST", "/api/ratings/undo", body);
    } finally {
      app.ratings().midUndo = at -> {};
    }
  }

  /** What a page opened afresh asks first: a pair, keeping none of what the rater held. */
  private static JsonNode lease(Session page) throws Exception {
    HttpResponse<String> r = page.send("POST", "/api/pairs/next", "{\"keep\":[]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Json.mapper().readTree(r.body()).path("pair");
  }

  @Test
  @Order(14)
  void a_claim_on_an_entry_deleted_since_it_was_read_takes_nothing_and_writes_no_row()
      throws Exception {
    // The race: a rater reads a free entry, an admin clears the queue (or the entry is rated
    // enough, or moved by an undo), then the claim runs.
    try (Db db = new Db(config.cassandra())) {
      Pairs pairs = new Pairs(db, config.rater());
      Instant until = Instant.now().plusSeconds(600);
      boolean claimed =
          db.call(s -> pairs.claim(s, "ghost-q", 7L, "a:b", "ann", until, null, null));
      assertThat(claimed).as("a free entry that is gone").isFalse();
      assertThat(cql.execute("SELECT * FROM rating_queue WHERE queue = 'ghost-q'").all())
          .as("rows written by the claim")
          .isEmpty();
      // An entry that is there is taken, once.
      cql.execute(
          "INSERT INTO rating_queue (queue, rank, pair_key, left_id, right_id, iteration,"
              + " ratings_wanted) VALUES ('ghost-q', 8, 'a:b', 'a', 'b', 'it', 1)");
      boolean ann = db.call(s -> pairs.claim(s, "ghost-q", 8L, "a:b", "ann", until, null, null));
      boolean bob = db.call(s -> pairs.claim(s, "ghost-q", 8L, "a:b", "bob", until, null, null));
      assertThat(ann).isTrue();
      assertThat(bob).as("taken already").isFalse();
      cql.execute("DELETE FROM rating_queue WHERE queue = 'ghost-q'");
    }
  }

  @Test
  @Order(15)
  void the_export_holds_every_rating_exactly_once() throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    HttpResponse<String> r = admin.send("GET", "/api/admin/export", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/x-ndjson");
    Set<String> ids = new HashSet<>();
    for (String line : r.body().split("\n")) {
      JsonNode n = Json.mapper().readTree(line);
      assertThat(ids.add(n.path("id").asText())).isTrue();
      assertThat(n.path("scores").size()).isEqualTo(3);
      assertThat(n.path("ratedAt").asText()).endsWith("Z");
      assertThat(PairKey.of(n.path("left").asText(), n.path("right").asText())).isNotEmpty();
    }
    long stored = cql.execute("SELECT count(*) FROM ratings_by_rater").one().getLong(0);
    assertThat(ids).hasSize((int) stored);
  }

  @Test
  @Order(16)
  void thumbnails_come_from_cassandra_to_signed_in_raters_only() throws Exception {
    Session ann = signIn("ann", PASSWORD);
    HttpResponse<byte[]> img =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/images/" + images.get(5) + "/large"))
                .header("Cookie", ann.cookie)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(img.statusCode()).isEqualTo(200);
    assertThat(img.headers().firstValue("Content-Type").orElseThrow()).startsWith("image/");
    assertThat(img.headers().firstValue("Cache-Control").orElseThrow()).contains("immutable");
    assertThat(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(img.body())).getWidth())
        .isPositive();
    assertThat(get("/images/" + images.get(5) + "/large", null).statusCode()).isEqualTo(401);
    assertThat(ann.send("GET", "/images/" + "0".repeat(32) + "/large", null).statusCode())
        .isEqualTo(404);
  }

  @Test
  @Order(17)
  void a_lone_rater_gets_queued_pairs_behind_thousands_waiting_for_a_second_rater()
      throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    createRater(admin, "lena", "lena-q");
    // In front: more entries than one request looks at (Pairs.SCAN), each rated by lena and
    // waiting for a second rater, as a lone rater's queue with rater.overlap above 0 fills up.
    int waiting = Pairs.SCAN + 100;
    var insert =
        cql.prepare(
            "INSERT INTO rating_queue (queue, rank, pair_key, left_id, right_id, iteration,"
                + " ratings_wanted, rated_by, lease_until, enqueued_at)"
                + " VALUES ('lena-q', ?, ?, ?, ?, 'old', 2, {'lena'}, ?, ?)");
    for (int from = 0; from < waiting; from += 100) {
      var batch =
          com.datastax.oss.driver.api.core.cql.BatchStatement.builder(
              com.datastax.oss.driver.api.core.cql.BatchType.UNLOGGED);
      for (int i = from; i < from + 100; i++) {
        String left = "%032x".formatted(2L * i + 1);
        String right = "%032x".formatted(2L * i + 2);
        batch.addStatement(
            insert.bind(
                (long) i,
                PairKey.of(left, right),
                left,
                right,
                java.time.Instant.EPOCH,
                java.time.Instant.now()));
      }
      cql.execute(batch.build());
    }
    String first = "{\"left\":\"" + images.get(40) + "\",\"right\":\"" + images.get(41) + "\"}";
    String second = "{\"left\":\"" + images.get(42) + "\",\"right\":\"" + images.get(43) + "\"}";
    assertThat(
            admin
                .send(
                    "POST",
                    "/api/admin/queues/lena-q/pairs",
                    "{\"iteration\":\"al-lone\",\"ratingsWanted\":1,\"pairs\":["
                        + first
                        + ","
                        + second
                        + "]}")
                .statusCode())
        .isEqualTo(201);

    Session lena = signIn("lena", PASSWORD);
    JsonNode p1 = lena.reset();
    assertThat(p1.path("origin").asText())
        .as("the queued pair, not a random one, behind %d entries lena cannot take", waiting)
        .isEqualTo("queue");
    assertThat(key(p1)).isEqualTo(PairKey.of(images.get(40), images.get(41)));
    long rank1 = markOf("lena", "lena-q");
    assertThat(rank1)
        .as("the next request starts at the queued pair")
        .isEqualTo(
            cql.execute(
                    "SELECT rank FROM rating_queue WHERE queue = 'lena-q' AND rank >= ? LIMIT 1",
                    (long) waiting)
                .one()
                .getLong("rank"));

    assertThat(
            lena.send("POST", "/api/ratings", rating(p1.path("lease").asText(), SCORES))
                .statusCode())
        .isEqualTo(201);
    JsonNode p2 = lena.next();
    assertThat(key(p2)).isEqualTo(PairKey.of(images.get(42), images.get(43)));
    long rank2 = markOf("lena", "lena-q");
    assertThat(rank2).as("past the rated pair").isGreaterThan(rank1);
    // Undoing the first rating makes its entry one raters can take again: it goes back at the end
    // of the queue, above every mark (lena's has passed its old rank, and, as it was rated as
    // often as it wanted, so would any other rater's). Released by a page load, it comes after
    // the second pair.
    assertThat(lena.send("POST", "/api/ratings/undo", "{}").statusCode()).isEqualTo(200);
    List<Row> p1Rows =
        cql.execute(
                "SELECT rank, leased_by FROM rating_queue WHERE queue = 'lena-q' AND rank > ?"
                    + " ALLOW FILTERING",
                rank2)
            .all();
    assertThat(p1Rows).singleElement().satisfies(r -> assertThat(r.getString(1)).isEqualTo("lena"));
    assertThat(key(lena.reset())).isEqualTo(key(p2));
    assertThat(key(lena.next())).isEqualTo(key(p1));

    // A queue cleared and filled again continues above its old ranks, so nothing new hides
    // behind the mark.
    assertThat(admin.send("DELETE", "/api/admin/queues/lena-q", null).statusCode()).isEqualTo(200);
    String third = "{\"left\":\"" + images.get(44) + "\",\"right\":\"" + images.get(45) + "\"}";
    admin.send(
        "POST",
        "/api/admin/queues/lena-q/pairs",
        "{\"iteration\":\"al-lone-2\",\"pairs\":[" + third + "]}");
    JsonNode p3 = lena.reset();
    assertThat(p3.path("origin").asText()).isEqualTo("queue");
    assertThat(key(p3)).isEqualTo(PairKey.of(images.get(44), images.get(45)));
    lena.reset();
  }

  private long markOf(String rater, String queue) {
    Row r =
        cql.execute(
                "SELECT rank FROM rater_queue_marks WHERE rater = ? AND queue = ?", rater, queue)
            .one();
    assertThat(r).as("a mark for %s in %s", rater, queue).isNotNull();
    return r.getLong("rank");
  }

  // ---- the rating page in a real browser, keyboard only -------------------------------------

  @Test
  @Order(20)
  void a_rater_rates_twenty_pairs_undoes_one_and_skips_one_by_keyboard_in_chromium()
      throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    createRater(admin, "erin", "erin-q");
    List<String> queued = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      queued.add("{\"left\":\"" + images.get(i) + "\",\"right\":\"" + images.get(59 - i) + "\"}");
    }
    admin.send(
        "POST",
        "/api/admin/queues/erin-q/pairs",
        "{\"iteration\":\"al-ui\",\"pairs\":[" + String.join(",", queued) + "]}");
    Path ui = Runtimes.root().resolve("rater-web/src/test/ui");
    Path out = Runtimes.root().resolve("rater-web/target/ui-test");
    Files.createDirectories(out);
    run(
        List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", ui.toString()),
        Duration.ofMinutes(5));
    run(
        List.of(
            "node",
            ui.resolve("rater-test.mjs").toString(),
            "--base-url",
            base.replace("127.0.0.1", "localhost"),
            "--user",
            "erin",
            "--password",
            PASSWORD,
            "--out",
            out.toString()),
        Duration.ofMinutes(5));
    JsonNode result = Json.mapper().readTree(out.resolve("rater-result.json").toFile());
    Map<String, Map<String, Integer>> expected = new HashMap<>();
    for (JsonNode r : result.path("ratings")) {
      expected.put(
          r.path("left").asText() + "|" + r.path("right").asText(),
          Json.mapper()
              .convertValue(
                  r.path("scores"),
                  new com.fasterxml.jackson.core.type.TypeReference<Map<String, Integer>>() {}));
    }
    assertThat(expected).hasSize(20);
    Map<String, Map<String, Integer>> stored = new HashMap<>();
    int fromQueue = 0;
    for (Row r : ratingsOf("erin")) {
      stored.put(
          r.getString("left_id") + "|" + r.getString("right_id"),
          r.getMap("scores", String.class, Integer.class));
      if ("queue".equals(r.getString("origin"))) {
        fromQueue++;
        assertThat(r.getString("iteration")).isEqualTo("al-ui");
      }
    }
    assertThat(stored)
        .as("exactly the twenty ratings, the re-rated one with its new values")
        .isEqualTo(expected);
    String undoneKey =
        result.path("undone").path("left").asText()
            + "|"
            + result.path("undone").path("right").asText();
    assertThat(stored.get(undoneKey))
        .isNotEqualTo(Json.mapper().convertValue(result.path("undone").path("scores"), Map.class));
    String skippedPair =
        PairKey.of(
            result.path("skipped").path("left").asText(),
            result.path("skipped").path("right").asText());
    assertThat(
            cql.execute(
                    "SELECT count(*) FROM ratings_by_pair WHERE pair_key = ? AND rater = 'erin'",
                    skippedPair)
                .one()
                .getLong(0))
        .isZero();
    assertThat(
            cql.execute(
                    "SELECT count(*) FROM rater_skips WHERE rater = 'erin' AND pair_key = ?",
                    skippedPair)
                .one()
                .getLong(0))
        .isEqualTo(1);
    assertThat(fromQueue).as("the queue's pairs came first").isGreaterThanOrEqualTo(7);
  }

  // ---- failure ------------------------------------------------------------------------------

  @Test
  @Order(30)
  void without_cassandra_the_app_starts_and_answers_503_with_a_retry_hint() throws Exception {
    MemescopeConfig broken =
        io.memescope.infra.testing.TestStack.load(
            Map.of("cassandra.native-port", "1", "cassandra.request-timeout", "2s"));
    try (RaterApp down = new RaterApp(broken)) {
      String downBase = "http://127.0.0.1:" + down.start("127.0.0.1", 0);
      HttpResponse<String> health = send("GET", downBase + "/health", null, Map.of());
      assertThat(health.statusCode()).isEqualTo(200);
      HttpResponse<String> r =
          send(
              "POST",
              downBase + "/api/login",
              "{\"username\":\"ann\",\"password\":\"" + PASSWORD + "\"}",
              Map.of("Content-Type", "application/json"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
      assertThat(r.body()).contains("Cassandra").doesNotContain("Exception");
    }
  }

  @Test
  @Order(40)
  void repeated_wrong_passwords_lock_the_name_for_a_minute() throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    admin.send(
        "POST", "/api/admin/raters", "{\"username\":\"gus\",\"password\":\"" + PASSWORD + "\"}");
    for (int i = 0; i < config.rater().loginAttempts(); i++) {
      HttpResponse<String> r = login("gus", "wrong password " + i);
      assertThat(r.statusCode()).as("attempt " + i + ": " + r.body()).isEqualTo(401);
    }
    HttpResponse<String> locked = login("gus", PASSWORD);
    assertThat(locked.statusCode()).as("even the right password, for now").isEqualTo(429);
    assertThat(locked.headers().firstValue("Retry-After")).isPresent();
    assertThat(login("ann", PASSWORD).statusCode()).as("other names are not locked").isEqualTo(200);

    // Twenty wrong passwords at once: only the allowance is checked (and hashed); the rest are
    // 429 at once. Counted only after a failure, all twenty passed the check and ran Argon2
    // together (19 MiB each: a few hundred at once exhaust the heap).
    admin.send(
        "POST", "/api/admin/raters", "{\"username\":\"hal\",\"password\":\"" + PASSWORD + "\"}");
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(
          http.sendAsync(
              HttpRequest.newBuilder(URI.create(base + "/api/login"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          Json.mapper()
                              .writeValueAsString(
                                  Map.of("username", "hal", "password", "wrong " + i))))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    for (var f : burst) {
      statuses.merge(f.get().statusCode(), 1, Integer::sum);
    }
    assertThat(statuses)
        .isEqualTo(
            Map.of(401, config.rater().loginAttempts(), 429, 20 - config.rater().loginAttempts()));
  }

  @Test
  @Order(40)
  void behind_a_trusted_proxy_each_forwarded_client_has_its_own_sign_in_allowance()
      throws Exception {
    // One failure a minute per user name, ten per client: fresh names, so only the client's
    // allowance runs out.
    for (String proxy : List.of("127.0.0.1", "192.0.2.1")) {
      MemescopeConfig proxied =
          io.memescope.infra.testing.TestStack.load(
              Map.of(
                  "cassandra.keyspace",
                  config.cassandra().keyspace(),
                  "rater.login-attempts",
                  "1",
                  "rater.trusted-proxies",
                  "[\"" + proxy + "\"]"));
      boolean trusted = proxy.equals("127.0.0.1"); // where this test's requests come from
      try (RaterApp behind = new RaterApp(proxied)) {
        String url = "http://127.0.0.1:" + behind.start("127.0.0.1", 0) + "/api/login";
        String run = java.util.UUID.randomUUID().toString().substring(0, 8);
        java.util.function.BiFunction<Integer, String, Integer> attempt =
            (i, forwarded) -> {
              try {
                return send(
                        "POST",
                        url,
                        Json.mapper()
                            .writeValueAsString(
                                Map.of("username", "nobody-" + run + "-" + i, "password", "x")),
                        Map.of("Content-Type", "application/json", "X-Forwarded-For", forwarded))
                    .statusCode();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            };
        // Ten failures use the client's allowance (one more comes back every 6 s, so on a slow
        // machine a few more may pass before the first 429).
        int failures = 0;
        int status;
        while ((status = attempt.apply(failures, "203.0.113.7")) == 401 && failures < 30) {
          failures++;
        }
        assertThat(status).as("the client's allowance is used up").isEqualTo(429);
        assertThat(failures).as("%s: failures before the first 429", proxy).isBetween(10, 15);
        // A client may put any address in the header, but a trusted proxy appends the one it saw:
        // that last entry counts, not the forged one before it.
        assertThat(attempt.apply(100, "198.51.100.1, 203.0.113.7"))
            .as("a forged first entry")
            .isEqualTo(429);
        assertThat(attempt.apply(101, "203.0.113.8"))
            .as(
                trusted
                    ? "another rater behind the same proxy is not locked out"
                    : "from an address not listed, the header is ignored: all share 127.0.0.1")
            .isEqualTo(trusted ? 401 : 429);
      }
    }
  }

  @Test
  @Order(41)
  void a_demoted_admin_cannot_demote_another_through_a_stale_instance_and_a_restart_restores_one()
      throws Exception {
    Session admin = signIn("admin", ADMIN_PASSWORD);
    HttpResponse<String> made =
        admin.send(
            "POST",
            "/api/admin/raters",
            "{\"username\":\"fay\",\"password\":\"" + PASSWORD + "\",\"role\":\"admin\"}");
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    // A second instance of the app, as behind a load balancer: fay signs in there, and it caches
    // her account (as an admin) for up to 30 s.
    try (RaterApp other = new RaterApp(config)) {
      String otherBase = "http://127.0.0.1:" + other.start("127.0.0.1", 0);
      Session fay = new Session(otherBase, signIn("fay", PASSWORD));
      assertThat(fay.me().path("role").asText()).isEqualTo("admin");

      assertThat(admin.send("PATCH", "/api/admin/raters/fay", "{\"role\":\"rater\"}").statusCode())
          .isEqualTo(200);
      HttpResponse<String> back =
          fay.send("PATCH", "/api/admin/raters/admin", "{\"role\":\"rater\"}");
      assertThat(back.statusCode())
          .as("fay is no admin any more, though the other instance's cache still says so")
          .isEqualTo(403);
      assertThat(roleOf("admin")).isEqualTo("admin");
    }

    // What two admins demoting each other in the same few milliseconds would leave: no admin.
    cql.execute("UPDATE raters SET role = 'rater' WHERE username = 'admin'");
    assertThat(app.ensureAdmin(""))
        .as("nothing to restore it with")
        .isEqualTo(Accounts.AdminCheck.NO_PASSWORD);
    assertThat(app.ensureAdmin("x".repeat(1025)))
        .as("a password no account may have: nothing restored, the raters rate on")
        .isEqualTo(Accounts.AdminCheck.UNUSABLE_PASSWORD);
    assertThat(roleOf("admin")).isEqualTo("rater");
    String operators = "the operator's new admin password";
    assertThat(app.ensureAdmin(operators)).isEqualTo(Accounts.AdminCheck.RESTORED);
    assertThat(roleOf("admin")).isEqualTo("admin");
    assertThat(login("admin", ADMIN_PASSWORD).statusCode())
        .as("the password is the operator's now")
        .isEqualTo(401);
    Session restored = signIn("admin", operators);
    assertThat(restored.send("GET", "/api/admin/raters", null).statusCode()).isEqualTo(200);
    assertThat(app.ensureAdmin("yet another password")).isEqualTo(Accounts.AdminCheck.PRESENT);
    assertThat(
            restored
                .send(
                    "PATCH", "/api/admin/raters/admin", "{\"password\":\"" + ADMIN_PASSWORD + "\"}")
                .statusCode())
        .isEqualTo(200);
  }

  private String roleOf(String username) {
    return cql.execute("SELECT role FROM raters WHERE username = ?", username).one().getString(0);
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Queues one pair of the test images (by index) under {@code iteration}, wanted once. */
  private void enqueue(Session admin, String queue, String iteration, int left, int right)
      throws Exception {
    enqueue(admin, queue, iteration, 1, left, right);
  }

  /** Queues one pair of the test images (by index) under {@code iteration}, wanted {@code n}. */
  private void enqueue(Session admin, String queue, String iteration, int n, int left, int right)
      throws Exception {
    HttpResponse<String> added =
        admin.send(
            "POST",
            "/api/admin/queues/" + queue + "/pairs",
            "{\"iteration\":\""
                + iteration
                + "\",\"ratingsWanted\":"
                + n
                + ",\"pairs\":[{\"left\":\""
                + images.get(left)
                + "\",\"right\":\""
                + images.get(right)
                + "\"}]}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
  }

  /** An account for {@code name} rating from {@code queue}, created by the admin (201). */
  private void createRater(Session admin, String name, String queue) throws Exception {
    String body =
        "{\"username\":\""
            + name
            + "\",\"password\":\""
            + PASSWORD
            + "\",\"queue\":\""
            + queue
            + "\"}";
    assertThat(admin.send("POST", "/api/admin/raters", body).statusCode()).isEqualTo(201);
  }

  private List<Row> ratingsOf(String rater) {
    return cql.execute("SELECT * FROM ratings_by_rater WHERE rater = ?", rater).all();
  }

  private static String key(JsonNode pair) {
    return PairKey.of(
        pair.path("left").path("id").asText(), pair.path("right").path("id").asText());
  }

  private static String rating(String lease, Map<String, Integer> scores) throws Exception {
    return "{\"lease\":\""
        + lease
        + "\",\"scores\":"
        + Json.mapper().writeValueAsString(scores)
        + "}";
  }

  private HttpResponse<String> login(String user, String password) throws Exception {
    return send(
        "POST",
        "/api/login",
        Json.mapper().writeValueAsString(Map.of("username", user, "password", password)),
        Map.of("Content-Type", "application/json"));
  }

  private Session signIn(String user, String password) throws Exception {
    HttpResponse<String> r = login(user, password);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String c = r.headers().firstValue("Set-Cookie").orElseThrow();
    return new Session(
        base,
        c.substring(0, c.indexOf(';')),
        Json.mapper().readTree(r.body()).path("csrf").asText());
  }

  private HttpResponse<String> get(String path, String cookie) throws Exception {
    return send("GET", path, null, cookie == null ? Map.of() : Map.of("Cookie", cookie));
  }

  @Test
  @Order(42)
  void a_request_with_a_method_of_its_own_is_counted_as_other_not_as_a_series_of_its_own()
      throws Exception {
    for (String method : List.of("FOO1", "FOO2")) {
      HttpResponse<String> r = send(method, "/api/me", null, Map.of());
      assertThat(r.statusCode()).as(method).isGreaterThanOrEqualTo(400).isLessThan(500);
    }
    String metrics = send("GET", "/metrics", null, Map.of()).body();
    assertThat(metrics).doesNotContain("FOO1").doesNotContain("FOO2").contains("method=\"OTHER\"");
  }

  private HttpResponse<String> send(
      String method, String path, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : base + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Runs {@code command} (npm, node) to completion within {@code limit}; it must exit 0. */
  static void run(List<String> command, Duration limit) throws Exception {
    Programs.run(command, limit);
  }

  /** A signed-in client: the session cookie, and the CSRF token its writes carry. */
  final class Session {
    final String base;
    final String cookie;
    final String csrf;

    Session(String base, String cookie, String csrf) {
      this.base = base;
      this.cookie = cookie;
      this.csrf = csrf;
    }

    Session(String base, Session other) {
      this(base, other.cookie, other.csrf);
    }

    HttpResponse<String> send(String method, String path, String body) throws Exception {
      Map<String, String> h = new HashMap<>(Map.of("Cookie", cookie));
      if (!"GET".equals(method)) {
        h.put(RaterApp.CSRF_HEADER, csrf);
        h.put("Content-Type", "application/json");
        h.put("Origin", base);
      }
      return RaterIT.this.send(method, base + path, body, h);
    }

    JsonNode me() throws Exception {
      return Json.mapper().readTree(send("GET", "/api/me", null).body());
    }

    /** What a page load does: release every pair held, and lease the first one. */
    JsonNode reset() throws Exception {
      HttpResponse<String> r = send("POST", "/api/pairs/next", "{\"reset\":true}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return Json.mapper().readTree(r.body()).path("pair");
    }

    /** The next pair, which must exist. */
    JsonNode next() throws Exception {
      HttpResponse<String> r = send("POST", "/api/pairs/next", "{}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode pair = Json.mapper().readTree(r.body()).path("pair");
      assertThat(pair.isObject()).as(r.body()).isTrue();
      return pair;
    }
  }
}
