package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.core.quality.QualitySpec;
import io.memescope.core.quality.ScoreQuantiles;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.records.Takedown;
import io.memescope.core.records.UrlNormalizer;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.Schema;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.testing.Memes;
import io.memescope.infra.testing.TestStack;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The serving API on the test stack, over images that the real ingest job indexes while the tests
 * run: search by text, image, id and embedding with weights, paging that never repeats while
 * ingestion writes, filters, details, thumbnails, originals, takedown, validation, limits, metrics,
 * a store that goes away, and the search UI in headless Chromium.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServingIT {
  static final int HTTP_IMAGES = 150;
  static final int FILE_IMAGES = 10;

  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<String, byte[]> served = new LinkedHashMap<>(); // path -> bytes
  private final Map<String, String> captionOf = new HashMap<>(); // image id -> caption
  private final Map<String, byte[]> bytesOf = new HashMap<>(); // image id -> bytes
  private final Set<String> fileIds = new HashSet<>();
  private final Map<String, Float> qualityOf = new HashMap<>(); // set by Order 8
  private MemescopeConfig config;
  private IngestJobs jobs;
  private HttpServer server;
  private ClipEncoder encoder;
  private ServingApp app;
  private String base;
  private String adminKey;
  private Path files;

  /** serving.quality-sort-window here: smaller than the corpus. */
  private static final int QUALITY_WINDOW = 60;

  @BeforeAll
  void indexACorpusAndStartTheServer() throws Exception {
    TestStack.config();
    files = Files.createTempDirectory("serving-it").toRealPath();
    String run = TestStack.uniqueName("serving");
    adminKey = UUID.randomUUID().toString();
    config =
        TestStack.load(
            Map.ofEntries(
                Map.entry("kafka.topics.crawl-urls.name", run + ".crawl.urls"),
                Map.entry("kafka.topics.ingest-indexed.name", run + ".indexed"),
                Map.entry("kafka.topics.ingest-rejects.name", run + ".rejects"),
                Map.entry("kafka.topics.takedowns.name", run + ".takedowns"),
                Map.entry("milvus.collection", run),
                // A keyspace of its own: this corpus is the same every run, and the takedown
                // below would keep its image out of the next run's index (the ingest job's sink
                // checks the takedowns table).
                Map.entry("cassandra.keyspace", run),
                Map.entry("ingest.job-name", run),
                Map.entry("ingest.checkpoint-interval", "2s"),
                Map.entry("ingest.fetch.allow-private-hosts", "[localhost]"),
                Map.entry("ingest.fetch.file-roots", "[\"" + files + "\"]"),
                Map.entry("serving.admin-key", adminKey),
                Map.entry("serving.rate-limit", "10000"),
                Map.entry("serving.rate-burst", "10000"),
                // Takedowns left half-done are looked for every 2 s, not every 5 minutes.
                Map.entry("serving.takedown-repair-interval", "2s"),
                // Smaller than the corpus, so that the quality sort's window is full and a filter
                // applied after it, not before, would show (Order 8).
                Map.entry("serving.quality-sort-window", String.valueOf(QUALITY_WINDOW))));
    Schema.apply(config);
    server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
    server.createContext(
        "/",
        e -> {
          byte[] body = served.get(e.getRequestURI().getPath());
          if (body == null) {
            e.sendResponseHeaders(404, -1);
          } else {
            e.getResponseHeaders().add("Content-Type", "application/octet-stream");
            e.sendResponseHeaders(200, body.length);
            e.getResponseBody().write(body);
          }
          e.close();
        });
    server.start();
    List<CrawlRecord> records = new ArrayList<>();
    for (int i = 0; i < HTTP_IMAGES; i++) {
      records.add(httpImage(i, "it"));
    }
    for (int i = 0; i < FILE_IMAGES; i++) {
      String caption = Memes.WORDS[i % Memes.WORDS.length] + " file " + i;
      byte[] bytes = Memes.encode(Memes.meme(10_000 + i, caption), "png");
      Path file = files.resolve("meme-" + i + ".png");
      Files.write(file, bytes);
      String id = imageId(bytes);
      captionOf.put(id, caption);
      bytesOf.put(id, bytes);
      fileIds.add(id);
      records.add(record(file.toUri().toString(), "files", caption));
    }
    publish(records);
    jobs = new IngestJobs(config);
    jobs.ensureRunning(jobJar());
    encoder = ClipEncoder.load(config.model().dir(), config.model().encoderOptions());
    app = new ServingApp(config, encoder, adminKey);
    base = "http://127.0.0.1:" + app.start("127.0.0.1", 0);
    awaitIndexed(HTTP_IMAGES + FILE_IMAGES, Duration.ofMinutes(5));
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
    if (encoder != null) {
      encoder.close();
    }
    if (jobs != null) {
      jobs.cancel();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  // ---- search ----------------------------------------------------------------------------

  @Test
  @Order(1)
  void an_image_id_term_finds_the_image_itself_first_and_answers_match_the_openapi_schema()
      throws Exception {
    String id = someHttpImage();
    JsonNode page = search(terms(idTerm(id, 1)), 10, null);
    assertThat(page.path("results").get(0).path("id").asText()).isEqualTo(id);
    assertThat(page.path("results").get(0).path("score").asDouble()).isGreaterThan(0.999);
    assertThat(page.path("results")).hasSize(10);
    assertValid("SearchResponse", page);
    JsonNode first = page.path("results").get(0);
    assertThat(first.path("titles").get(0).asText()).isEqualTo(captionOf.get(id));
    assertThat(first.path("urls").get(0).asText()).startsWith("http://localhost:");
    assertThat(first.path("thumbnails").path("small").path("url").asText())
        .isEqualTo("/api/images/" + id + "/thumbnail/small");
    assertThat(first.path("width").asInt())
        .isEqualTo(ImageIO.read(new ByteArrayInputStream(bytesOf.get(id))).getWidth());
  }

  @Test
  @Order(2)
  void an_uploaded_image_and_its_embedding_find_that_image_first() throws Exception {
    String id = someHttpImage();
    ObjectNode term = Json.mapper().createObjectNode();
    term.put("image", Base64.getEncoder().encodeToString(bytesOf.get(id)));
    double before = imageEmbeddings();
    JsonNode page = search(terms(term), 5, null);
    assertThat(page.path("results").get(0).path("id").asText()).isEqualTo(id);
    // The next page sends the image again (the cursor holds no vector): its embedding is reused.
    JsonNode next = search(terms(term), 5, page.path("cursor").asText());
    assertThat(ids(next)).hasSize(5).doesNotContainAnyElementsOf(ids(page));
    assertThat(imageEmbeddings() - before).as("image tower runs for two pages").isEqualTo(1.0);

    float[] vector = encoder.embedImageBytes(List.of(bytesOf.get(id)))[0];
    ObjectNode embedding = Json.mapper().createObjectNode();
    ArrayNode values = embedding.putArray("embedding");
    for (float v : vector) {
      values.add(v);
    }
    embedding.put("weight", 2.5);
    assertThat(search(terms(embedding), 5, null).path("results").get(0).path("id").asText())
        .isEqualTo(id);
  }

  /** memescope_query_embeddings_total{kind="image"} on /metrics; 0 before the first. */
  private double imageEmbeddings() throws Exception {
    var m =
        java.util.regex.Pattern.compile(
                "memescope_query_embeddings_total\\{kind=\"image\"\\} ([0-9.eE+]+)")
            .matcher(new String(get("/metrics").body(), java.nio.charset.StandardCharsets.UTF_8));
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  @Order(3)
  void a_negative_weight_pushes_its_term_away() throws Exception {
    List<String> ids = new ArrayList<>(captionOf.keySet());
    String a = ids.get(0);
    String b = search(terms(idTerm(a, 1)), 5, null).path("results").get(1).path("id").asText();
    double before = scoreOf(search(terms(idTerm(a, 1)), 100, null), b);
    JsonNode pushed = search(terms(idTerm(a, 1), idTerm(b, -0.8)), 100, null);
    double after = scoreOf(pushed, b);
    assertThat(after).as("score of the pushed-away image").isLessThan(before);
    int rank = rank(pushed, b);
    assertThat(rank < 0 || rank >= 10).as("rank of the pushed-away image: %d", rank).isTrue();
    assertThat(ids(pushed)).as("the positive term still ranks high").contains(a);
  }

  @Test
  @Order(4)
  void text_terms_are_embedded_by_the_text_tower_and_ranked_as_milvus_ranks_them()
      throws Exception {
    JsonNode page =
        search(terms(text("cat", 1), text("coffee", 0.5), text("monday", -0.5)), 20, null);
    float[][] t = encoder.embedTexts(List.of("cat", "coffee", "monday"));
    float[] q = new float[t[0].length];
    float[] w = {1f, 0.5f, -0.5f};
    for (int k = 0; k < 3; k++) {
      float[] u = QueryVectors.unit(t[k]);
      for (int d = 0; d < q.length; d++) {
        q[d] += w[k] * u[d];
      }
    }
    ObjectNode embedding = Json.mapper().createObjectNode();
    ArrayNode values = embedding.putArray("embedding");
    for (float v : QueryVectors.unit(q)) {
      values.add(v);
    }
    JsonNode same = search(terms(embedding), 20, null);
    assertThat(ids(page)).isEqualTo(ids(same));
    assertThat(page.path("results")).hasSize(20);
  }

  @Test
  @Order(5)
  void pages_never_repeat_an_image_while_ingestion_adds_images_and_new_images_appear_in_seconds()
      throws Exception {
    ArrayNode query = terms(text("deploy", 1));
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    boolean published = false;
    Instant publishedAt = null;
    List<String> newIds = new ArrayList<>();
    do {
      JsonNode page = search(query, 25, cursor);
      seen.addAll(ids(page));
      cursor = page.path("cursor").isNull() ? null : page.path("cursor").asText();
      pages++;
      if (pages == 2 && !published) {
        // Ingestion writes between pages: 30 new images, some of them ranked above the cursor.
        List<CrawlRecord> more = new ArrayList<>();
        for (int i = HTTP_IMAGES; i < HTTP_IMAGES + 30; i++) {
          more.add(httpImage(i, "it"));
          newIds.add(imageId(served.get("/img/" + i + ".png")));
        }
        publish(more);
        publishedAt = Instant.now();
        awaitIndexed(HTTP_IMAGES + FILE_IMAGES + 30, Duration.ofMinutes(2));
        published = true;
      }
    } while (cursor != null);
    assertThat(seen).doesNotHaveDuplicates();
    assertThat(pages).isGreaterThan(4);
    Duration visible = Duration.between(publishedAt, Instant.now());
    System.out.println(
        "[serving] 30 new images searchable " + visible.toMillis() + " ms after publishing");
    // Whatever a fresh query returns now includes the new images.
    String newest = newIds.get(0);
    assertThat(search(terms(idTerm(newest, 1)), 1, null).path("results").get(0).path("id").asText())
        .isEqualTo(newest);
    Set<String> all = new HashSet<>();
    String c = null;
    do {
      JsonNode page = search(query, 100, c);
      List<String> ids = ids(page);
      assertThat(all).doesNotContainAnyElementsOf(ids);
      all.addAll(ids);
      c = page.path("cursor").isNull() ? null : page.path("cursor").asText();
    } while (c != null);
    assertThat(all).hasSize(HTTP_IMAGES + FILE_IMAGES + 30).containsAll(newIds);
  }

  @Test
  @Order(6)
  void no_terms_give_a_random_sample_that_pages_too() throws Exception {
    JsonNode one = search(Json.mapper().createArrayNode(), 20, null);
    JsonNode two = search(Json.mapper().createArrayNode(), 20, null);
    assertThat(one.path("results")).hasSize(20);
    assertThat(ids(one)).isNotEqualTo(ids(two));
    JsonNode next = search(Json.mapper().createArrayNode(), 20, one.path("cursor").asText());
    assertThat(ids(next)).hasSize(20).doesNotContainAnyElementsOf(ids(one));
  }

  @Test
  @Order(7)
  void filters_narrow_by_source_quality_and_time() throws Exception {
    ObjectNode filters = Json.mapper().createObjectNode();
    filters.putArray("sources").add("files");
    JsonNode page = search(terms(text("cat", 1)), 100, null, filters);
    assertThat(new HashSet<>(ids(page))).isEqualTo(fileIds);
    // No quality model has scored these yet: null, as in the detail view (Milvus holds 0).
    page.path("results").forEach(r -> assertThat(r.path("quality").isNull()).isTrue());
    ObjectNode quality = Json.mapper().createObjectNode().put("minQuality", 0.5);
    assertThat(search(terms(text("cat", 1)), 100, null, quality).path("results")).isEmpty();
    ObjectNode future = Json.mapper().createObjectNode().put("since", "2100-01-01");
    assertThat(search(terms(text("cat", 1)), 100, null, future).path("results")).isEmpty();
    ObjectNode past = Json.mapper().createObjectNode().put("until", "2000-01-01T00:00:00Z");
    assertThat(search(terms(text("cat", 1)), 100, null, past).path("results")).isEmpty();
  }

  @Test
  @Order(8)
  void sort_by_quality_ranks_the_best_matches_by_quality_and_pages_never_repeat() throws Exception {
    // Distinct qualities in the index, as the ingest job writes them once a quality model is
    // published (issue 8); the end-to-end path is QualityPipelineIT's.
    List<String> all = new ArrayList<>(bytesOf.keySet());
    java.util.Collections.sort(all);
    for (int i = 0; i < all.size(); i++) {
      qualityOf.put(all.get(i), (float) ((i * 37L) % all.size()) / all.size());
    }
    setQualities(qualityOf);

    // The window: the QUALITY_WINDOW images most similar to the query, by the relevance search.
    // (The test stack's Milvus Lite searches exactly; with an approximate index the window's edge
    // could differ from the relevance order's.)
    List<JsonNode> byRelevance = allPages(terms(text("cat", 1)), 50, null, null);
    assertThat(byRelevance).hasSize(all.size());
    assertThat(byRelevance.get(QUALITY_WINDOW - 1).path("score").asDouble())
        .as("no tie at the window's edge")
        .isGreaterThan(byRelevance.get(QUALITY_WINDOW).path("score").asDouble());
    List<String> relevanceOrder = byRelevance.stream().map(r -> r.path("id").asText()).toList();

    List<JsonNode> results = allPages(terms(text("cat", 1)), 25, null, "quality");
    List<String> ids = results.stream().map(r -> r.path("id").asText()).toList();
    assertThat(ids)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(relevanceOrder.subList(0, QUALITY_WINDOW));
    for (int i = 0; i < results.size(); i++) {
      JsonNode r = results.get(i);
      assertThat((float) r.path("quality").asDouble())
          .isEqualTo(qualityOf.get(r.path("id").asText()));
      if (i > 0) {
        assertThat(r.path("quality").asDouble())
            .as("quality never rises down the list")
            .isLessThanOrEqualTo(results.get(i - 1).path("quality").asDouble());
      }
    }

    ObjectNode best = Json.mapper().createObjectNode().put("minQuality", 0.5);
    List<String> good =
        allPages(terms(text("cat", 1)), 30, best, "quality").stream()
            .map(r -> r.path("id").asText())
            .toList();
    // The filter applies before the window: it holds the QUALITY_WINDOW most similar images of
    // quality 0.5 or more, not only those of them among the most similar QUALITY_WINDOW overall.
    List<String> goodByRelevance =
        relevanceOrder.stream().filter(id -> qualityOf.get(id) >= 0.5f).toList();
    assertThat(goodByRelevance).hasSizeGreaterThan(QUALITY_WINDOW);
    Map<String, Double> scoreOf = new HashMap<>();
    byRelevance.forEach(n -> scoreOf.put(n.path("id").asText(), n.path("score").asDouble()));
    assertThat(scoreOf.get(goodByRelevance.get(QUALITY_WINDOW - 1)))
        .as("no tie at the filtered window's edge")
        .isGreaterThan(scoreOf.get(goodByRelevance.get(QUALITY_WINDOW)));
    assertThat(good)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(goodByRelevance.subList(0, QUALITY_WINDOW));

    JsonNode relevance = search(terms(text("cat", 1)), 5, null);
    ObjectNode mixed = Json.mapper().createObjectNode();
    mixed.set("terms", terms(text("cat", 1)));
    mixed.put("sort", "quality").put("cursor", relevance.path("cursor").asText());
    HttpResponse<String> r = post("/api/search", mixed.toString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(Json.mapper().readTree(r.body()).path("field").asText()).isEqualTo("cursor");
    ObjectNode wrong = Json.mapper().createObjectNode().put("sort", "newest");
    r = post("/api/search", wrong.toString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(Json.mapper().readTree(r.body()).path("field").asText()).isEqualTo("sort");
  }

  @Test
  @Order(9)
  void a_filtered_page_after_many_images_above_the_cursor_left_the_filter_skips_nothing()
      throws Exception {
    // Order 8's qualities. Page 1 of the images of quality 0.3 or more; then re-scoring (here by
    // hand) drops 25 of them, all above the cursor, below 0.3: more than Searcher.SLACK.
    ObjectNode filter = Json.mapper().createObjectNode().put("minQuality", 0.3);
    JsonNode first = search(terms(text("cat", 1)), 30, null, filter);
    List<String> shown = ids(first);
    assertThat(shown).hasSize(30);
    Map<String, Float> dropped = new HashMap<>();
    shown.subList(0, 25).forEach(id -> dropped.put(id, 0.1f));
    setQualities(dropped);
    try {
      JsonNode second = search(terms(text("cat", 1)), 30, first.path("cursor").asText(), filter);
      // What the query ranks after page 1's last image now, read afresh.
      List<String> fresh =
          allPages(terms(text("cat", 1)), 50, filter, null).stream()
              .map(r -> r.path("id").asText())
              .toList();
      int at = fresh.indexOf(shown.get(29));
      assertThat(at).as("page 1's last image, still in the filter").isEqualTo(4);
      assertThat(ids(second)).containsExactlyElementsOf(fresh.subList(at + 1, at + 31));
    } finally {
      Map<String, Float> back = new HashMap<>();
      dropped.keySet().forEach(id -> back.put(id, qualityOf.get(id)));
      setQualities(back);
    }
  }

  @Test
  @Order(9)
  void a_cursor_no_hit_follows_costs_a_few_searches_a_page_not_the_whole_result_list()
      throws Exception {
    // A cursor edited by hand: a score below every similarity, from the top. No hit ranks after
    // it, so the page would read window after window to Milvus's end of 16,384 results (about
    // 230 searches in one request on a large index). It reads Searcher.MAX_SEARCHES windows and
    // answers with a cursor that goes on from there.
    JsonNode real = search(terms(text("cat", 1)), 1, null);
    ObjectNode cursor =
        (ObjectNode)
            Json.mapper().readTree(Base64.getUrlDecoder().decode(real.path("cursor").asText()));
    cursor.put("s", -2.0f).put("n", 0);
    String crafted =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(Json.mapper().writeValueAsBytes(cursor));
    // limit 1: each window is 1 + 2 * SLACK + 1 hits, and the index holds more than three.
    int window = 1 + 2 * Searcher.SLACK + 1;
    assertThat(captionOf.size() + HTTP_IMAGES).isGreaterThan(Searcher.MAX_SEARCHES * window);
    JsonNode page = search(terms(text("cat", 1)), 1, crafted);
    assertThat(ids(page)).isEmpty();
    assertThat(page.path("cursor").isNull()).as("a cursor that goes on").isFalse();
    JsonNode next =
        Json.mapper().readTree(Base64.getUrlDecoder().decode(page.path("cursor").asText()));
    assertThat(next.path("n").asInt()).isEqualTo(Searcher.MAX_SEARCHES * window + Searcher.SLACK);
    assertThat(next.path("s").floatValue()).isEqualTo(-2.0f);
    // Followed, the cursors end: nothing is after a score of -2.
    String c = page.path("cursor").asText();
    int pages = 0;
    while (c != null) {
      JsonNode p = search(terms(text("cat", 1)), 1, c);
      assertThat(ids(p)).isEmpty();
      c = p.path("cursor").isNull() ? null : p.path("cursor").asText();
      assertThat(++pages).isLessThan(20);
    }
  }

  @Test
  @Order(9)
  void quality_sorted_pages_neither_repeat_nor_skip_while_re_scoring_moves_qualities()
      throws Exception {
    // Order 8's qualities. The whole window in one go first, then page by page while every
    // quality is turned upside down after the first page (a re-scoring job after a publication).
    List<String> window = ids(search(terms(text("cat", 1)), QUALITY_WINDOW, null, null, "quality"));
    assertThat(window).hasSize(QUALITY_WINDOW);
    JsonNode first = search(terms(text("cat", 1)), 20, null, null, "quality");
    List<String> paged = new ArrayList<>(ids(first));
    Map<String, Float> flipped = new HashMap<>();
    qualityOf.forEach((id, q) -> flipped.put(id, 1f - q));
    setQualities(flipped);
    try {
      String cursor = first.path("cursor").asText();
      while (cursor != null) {
        JsonNode page = search(terms(text("cat", 1)), 20, cursor, null, "quality");
        paged.addAll(ids(page));
        cursor = page.path("cursor").isNull() ? null : page.path("cursor").asText();
      }
      assertThat(paged).as("the first page's order, to the end").isEqualTo(window);
      // A fresh query sees the new qualities.
      JsonNode fresh = search(terms(text("cat", 1)), 1, null, null, "quality");
      String top = fresh.path("results").get(0).path("id").asText();
      assertThat((float) fresh.path("results").get(0).path("quality").asDouble())
          .isEqualTo(flipped.get(top));
    } finally {
      setQualities(qualityOf);
    }
  }

  /** Every result of a query, page by page. */
  private List<JsonNode> allPages(ArrayNode terms, int limit, ObjectNode filters, String sort)
      throws Exception {
    List<JsonNode> results = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page = search(terms, limit, cursor, filters, sort);
      page.path("results").forEach(results::add);
      cursor = page.path("cursor").isNull() ? null : page.path("cursor").asText();
    } while (cursor != null);
    return results;
  }

  /** Rewrites the quality of indexed images in Milvus, keeping the rest of each row. */
  private void setQualities(Map<String, Float> qualityOf) {
    var milvus = Clients.milvus(config.milvus());
    try {
      String in =
          qualityOf.keySet().stream()
              .map(id -> "\"" + id + "\"")
              .collect(java.util.stream.Collectors.joining(",", "[", "]"));
      var rows =
          milvus
              .query(
                  io.milvus.v2.service.vector.request.QueryReq.builder()
                      .collectionName(config.milvus().collection())
                      .filter(io.memescope.core.schema.MilvusCollection.ID + " in " + in)
                      .outputFields(List.of("*"))
                      .build())
              .getQueryResults();
      assertThat(rows).hasSize(qualityOf.size());
      com.google.gson.Gson gson = new com.google.gson.Gson();
      List<com.google.gson.JsonObject> updated = new ArrayList<>();
      for (var row : rows) {
        com.google.gson.JsonObject o = gson.toJsonTree(row.getEntity()).getAsJsonObject();
        String id = o.get(io.memescope.core.schema.MilvusCollection.ID).getAsString();
        o.addProperty(io.memescope.core.schema.MilvusCollection.QUALITY, qualityOf.get(id));
        updated.add(o);
      }
      milvus.upsert(
          io.milvus.v2.service.vector.request.UpsertReq.builder()
              .collectionName(config.milvus().collection())
              .data(updated)
              .build());
    } finally {
      milvus.close();
    }
  }

  // ---- images ----------------------------------------------------------------------------

  @Test
  @Order(10)
  void details_similar_thumbnails_and_originals() throws Exception {
    String id = someHttpImage();
    JsonNode detail = getJson("/api/images/" + id, 200);
    assertValid("ImageDetail", detail);
    assertThat(detail.path("sha256").asText()).isEqualTo(sha256(bytesOf.get(id)));
    assertThat(detail.path("urls").get(0).path("source").asText()).isEqualTo("it");
    assertThat(detail.path("original").isNull()).as("an http original is never served").isTrue();

    JsonNode similar = getJson("/api/images/" + id + "/similar?limit=7", 200);
    assertValid("SearchResponse", similar);
    assertThat(ids(similar)).hasSize(7).doesNotContain(id);
    JsonNode more =
        getJson(
            "/api/images/" + id + "/similar?limit=7&cursor=" + similar.path("cursor").asText(),
            200);
    assertThat(ids(more)).hasSize(7).doesNotContainAnyElementsOf(ids(similar));

    for (String size : List.of("small", "large")) {
      HttpResponse<byte[]> thumb = get("/api/images/" + id + "/thumbnail/" + size);
      assertThat(thumb.statusCode()).isEqualTo(200);
      assertThat(thumb.headers().firstValue("Content-Type")).hasValue("image/jpeg");
      // Cached for minutes, not a day: a takedown must not linger in caches.
      assertThat(thumb.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
      var image = ImageIO.read(new ByteArrayInputStream(thumb.body()));
      assertThat(image.getWidth())
          .isEqualTo(detail.path("thumbnails").path(size).path("width").asInt());
    }
    assertThat(get("/api/images/" + id + "/thumbnail/huge").statusCode()).isEqualTo(400);
    assertThat(get("/api/images/" + id + "/original").statusCode()).isEqualTo(404);

    String fileId = fileIds.iterator().next();
    JsonNode fileDetail = getJson("/api/images/" + fileId, 200);
    assertThat(fileDetail.path("original").asText())
        .isEqualTo("/api/images/" + fileId + "/original");
    HttpResponse<byte[]> original = get("/api/images/" + fileId + "/original");
    assertThat(original.statusCode()).isEqualTo(200);
    assertThat(original.body()).isEqualTo(bytesOf.get(fileId));
    assertThat(original.headers().firstValue("Content-Type")).hasValue("image/png");

    // Nothing outside the roots, however the URL is spelt.
    var d =
        new Catalog.Detail(
            null,
            "",
            0,
            "PNG",
            0,
            null,
            null,
            List.of(
                new Catalog.UrlSeen("file:///etc/passwd", "x", null, null, null),
                new Catalog.UrlSeen(files.toUri() + "../../../etc/passwd", "x", null, null, null),
                new Catalog.UrlSeen(
                    "file:" + files + "/%2e%2e/%2e%2e/etc/passwd", "x", null, null, null)));
    Path link = files.resolve("link.png");
    Files.createSymbolicLink(link, Path.of("/etc/passwd"));
    var viaLink =
        new Catalog.Detail(
            null,
            "",
            0,
            "PNG",
            0,
            null,
            null,
            List.of(new Catalog.UrlSeen(link.toUri().toString(), "x", null, null, null)));
    assertThat(app.originalFile(d)).isEmpty();
    assertThat(app.originalFile(viaLink)).isEmpty();
    assertThat(get("/api/images/..%2F..%2Fetc%2Fpasswd/original").statusCode()).isIn(400, 404);
    assertThat(get("/api/images/" + "0".repeat(32)).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(11)
  void stats_count_the_images_and_name_the_model() throws Exception {
    JsonNode stats = getJson("/api/stats", 200);
    assertValid("Stats", stats);
    assertThat(stats.path("images").asLong()).isEqualTo(HTTP_IMAGES + FILE_IMAGES + 30);
    assertThat(stats.path("models").path("embedding").path("dimension").asInt())
        .isEqualTo(encoder.metadata().embeddingDim());
  }

  @Test
  @Order(12)
  void stats_name_the_announced_quality_model_not_a_newer_one_never_announced() throws Exception {
    // Its own models topic, so the ingest job of this class never sees these versions (their
    // parameters are not a model); the registry is this run's keyspace.
    MemescopeConfig own =
        TestStack.load(
            Map.of(
                "milvus.collection", config.milvus().collection(),
                "cassandra.keyspace", config.cassandra().keyspace(),
                "kafka.topics.models.name", TestStack.uniqueName("serving") + ".models"));
    Schema.apply(own);
    String topic = own.kafka().topic("models").name();
    QualitySpec spec =
        new QualitySpec(List.of("funny"), encoder.metadata().embeddingDim(), List.of(4), 2, 0.0);
    Instant t = Instant.now().minusSeconds(60);
    QualityRegistry.Entry older = registryEntry("q-older", t, spec);
    QualityRegistry.Entry newer = registryEntry("q-newer", t.plusSeconds(30), spec);
    try (CqlSession session = Clients.cassandraKeyspace(own.cassandra())) {
      QualityRegistry registry = new QualityRegistry(session);
      registry.save(older);
      registry.save(newer); // registered, but its announcement "failed"
    }
    announce(topic, "{not json".getBytes()); // skipped, as the ingest job skips it
    announce(topic, Json.write(older.announcement()));
    try (ServingApp watching = new ServingApp(own, encoder, "")) {
      String b = "http://127.0.0.1:" + watching.start("127.0.0.1", 0);
      JsonNode quality = awaitQualityModel(b, "q-older");
      assertThat(quality.path("newerNotAnnounced").asText()).isEqualTo("q-newer");
      assertThat(quality.path("trainingPairs").asInt()).isEqualTo(older.trainingPairs());
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(b + "/metrics")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body())
          .contains("memescope_model_info{kind=\"quality\",version=\"q-older\"} 1");
      // `train publish q-newer` announces it: the same server follows, reading only what was added.
      announce(topic, Json.write(newer.announcement()));
      quality = awaitQualityModel(b, "q-newer");
      assertThat(quality.has("newerNotAnnounced")).as(quality.toString()).isFalse();
    }
  }

  private static QualityRegistry.Entry registryEntry(String version, Instant at, QualitySpec spec) {
    return new QualityRegistry.Entry(
        version,
        at,
        spec,
        new byte[] {1, 2, 3},
        ScoreQuantiles.of(spec.dimensions(), new float[][] {{0f}, {1f}}),
        Map.of("accuracy", 0.8),
        version.length() * 10,
        "{}");
  }

  private void announce(String topic, byte[] value) {
    Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, ModelVersion.KEY, value));
    }
  }

  /** /api/stats' quality model once it is {@code version} (the sampler reads every 10 s). */
  private JsonNode awaitQualityModel(String base, String version) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode stats;
    do {
      Thread.sleep(1000);
      stats =
          Json.mapper()
              .readTree(
                  http.send(
                          HttpRequest.newBuilder(URI.create(base + "/api/stats")).build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body());
    } while (!version.equals(stats.path("models").path("quality").path("version").asText())
        && System.nanoTime() < deadline);
    assertThat(stats.path("models").path("quality").path("version").asText())
        .as(stats.toString())
        .isEqualTo(version);
    assertValid("Stats", stats);
    return stats.path("models").path("quality");
  }

  // ---- refusals --------------------------------------------------------------------------

  @Test
  @Order(20)
  void malformed_requests_are_400_naming_the_field() throws Exception {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("[1,2]", "body");
    cases.put("{\"terms\": 5}", "terms");
    cases.put(
        "{\"terms\": [{\"text\": \"a\", \"imageId\": \"" + "a".repeat(32) + "\"}]}", "terms[0]");
    cases.put("{\"terms\": [{\"text\": \"a\", \"weight\": 0}]}", "terms[0].weight");
    cases.put("{\"terms\": [{\"text\": \"a\", \"weight\": \"heavy\"}]}", "terms[0].weight");
    cases.put("{\"terms\": [{\"text\": \"\"}]}", "terms[0].text");
    cases.put("{\"terms\": [{\"text\": \"" + "a".repeat(1001) + "\"}]}", "terms[0].text");
    cases.put("{\"terms\": [{\"text\": \"a\"}, {\"embedding\": [1, 2]}]}", "terms[1].embedding");
    cases.put("{\"terms\": [{\"imageId\": \"../../etc\"}]}", "terms[0].imageId");
    cases.put("{\"terms\": [{\"imageId\": \"" + "0".repeat(32) + "\"}]}", "terms[0].imageId");
    cases.put("{\"terms\": [{\"image\": \"bm90IGFuIGltYWdl\"}]}", "terms[0].image");
    cases.put("{\"terms\": [{\"image\": \"!!!\"}]}", "terms[0].image");
    cases.put("{\"terms\": [{\"colour\": \"red\"}]}", "terms[0].colour");
    cases.put("{\"terms\": [{\"text\": \"a\"}, {\"text\": \"a\", \"weight\": -1}]}", "terms");
    cases.put("{\"limit\": 0}", "limit");
    cases.put("{\"limit\": 1000}", "limit");
    cases.put("{\"cursor\": \"garbage\"}", "cursor");
    // base64 of JSON null: read as no cursor at all, it was a 500.
    cases.put("{\"cursor\": \"bnVsbA\"}", "cursor");
    // A weight that is 0 as a float.
    cases.put("{\"terms\": [{\"text\": \"a\", \"weight\": 1e-50}]}", "terms[0].weight");
    // Finite as a double, infinite as a float: the query vector would be NaN.
    int dim = encoder.metadata().embeddingDim();
    cases.put(
        "{\"terms\": [{\"embedding\": [1e39" + ", 0.5".repeat(dim - 1) + "]}]}",
        "terms[0].embedding[0]");
    cases.put("{\"page\": 2}", "page");
    cases.put("{\"filters\": {\"since\": \"yesterday\"}}", "filters.since");
    // Parses as an instant, but has no milliseconds since 1970 in a long: was a 500.
    cases.put("{\"filters\": {\"since\": \"+300000000-01-01T00:00:00Z\"}}", "filters.since");
    cases.put("{\"filters\": {\"until\": \"-300000000-01-01T00:00:00Z\"}}", "filters.until");
    cases.put("{\"filters\": {\"minQuality\": 1.5}}", "filters.minQuality");
    cases.put("{\"filters\": {\"minQuality\": -0.1}}", "filters.minQuality");
    cases.put("{\"filters\": {\"sources\": [\"a\\\" or 1==1\"]}}", "filters.sources[0]");
    cases.put(
        "{\"filters\": {\"since\": \"2026-02-01\", \"until\": \"2026-01-01\"}}", "filters.until");
    cases.put("{\"terms\": [" + "{\"text\": \"a\"},".repeat(16) + "{\"text\": \"b\"}]}", "terms");
    cases.put("{not json", "body");
    // Text after the object, and a key given twice: which one counted was a guess.
    cases.put("{\"terms\": [{\"text\": \"a\"}]} and more", "body");
    cases.put("{\"terms\": [{\"text\": \"a\"}], \"terms\": []}", "body");
    // Past a long: it wrapped round to 1.
    cases.put("{\"limit\": 18446744073709551617}", "limit");
    // Not base64, or no bytes: refused before it is charged or waits for the model.
    cases.put("{\"terms\": [{\"image\": \"data:image/png;base64,\"}]}", "terms[0].image");
    cases.put("{\"terms\": [{\"image\": \"iVBO!!!Rw0K\"}]}", "terms[0].image");
    // 300,000 empty terms (600 KB): refused while parsing, not after building a tree of them.
    cases.put("{\"terms\": [" + "{},".repeat(300_000) + "{}]}", "body");
    for (var c : cases.entrySet()) {
      HttpResponse<String> r = post("/api/search", c.getKey());
      assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
      JsonNode body = Json.mapper().readTree(r.body());
      assertValid("Error", body);
      assertThat(body.path("field").asText()).as(c.getKey()).isEqualTo(c.getValue());
      assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }
    // At most 1000 characters as the OpenAPI schema counts them (code points): 1000 emoji are
    // 2000 UTF-16 units, and allowed.
    HttpResponse<String> emoji =
        post("/api/search", "{\"terms\": [{\"text\": \"" + "\uD83D\uDE00".repeat(1000) + "\"}]}");
    assertThat(emoji.statusCode()).as(emoji.body()).isEqualTo(200);
    // A cursor of one query is refused for another.
    JsonNode page = search(terms(text("cat", 1)), 5, null);
    HttpResponse<String> other =
        post(
            "/api/search",
            "{\"terms\":[{\"text\":\"dog\"}],\"cursor\":\"" + page.path("cursor").asText() + "\"}");
    assertThat(other.statusCode()).isEqualTo(400);
    assertThat(other.body()).contains("another query");
    // Over the upload limit (8 MiB of image): 413, read no further.
    String huge = "{\"terms\":[{\"image\":\"" + "A".repeat(12 << 20) + "\"}]}";
    HttpResponse<String> tooLarge = post("/api/search", huge);
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(Json.mapper().readTree(tooLarge.body()).path("error").asText()).contains("MiB");
    assertThat(get("/api/nothing-here").statusCode()).isEqualTo(404);
    // A query parameter that is not percent-encoded is refused, not dropped (a takedown's
    // "?reason=50%off" went on without its reason).
    // (java.net.URI refuses such an address: the request is written by hand.)
    String[] badQuery = rawGet("/api/images/" + someHttpImage() + "/similar?cursor=&limit=5%zz");
    assertThat(badQuery[0]).as(badQuery[1]).isEqualTo("400");
    JsonNode badQueryBody = Json.mapper().readTree(badQuery[1]);
    assertThat(badQueryBody.path("field").asText()).isEqualTo("limit");
    assertThat(badQueryBody.path("error").asText()).contains("%25");
    // The search page takes a stray % in its own address (its script reads it).
    assertThat(rawGet("/?q=100%")[0]).isEqualTo("200");
    // A path that exists, with the wrong method: 405, not "no such endpoint".
    HttpResponse<byte[]> wrongMethod = get("/api/search");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(Json.mapper().readTree(wrongMethod.body()).path("error").asText())
        .isEqualTo("GET is not allowed on /api/search");
  }

  @Test
  @Order(21)
  void reads_past_the_rate_limit_are_429_with_retry_after() throws Exception {
    try (ServingApp strict = new ServingApp(limited(Map.of()), encoder, "")) {
      String b = "http://127.0.0.1:" + strict.start("127.0.0.1", 0);
      List<Integer> statuses = new ArrayList<>();
      HttpResponse<String> last = null;
      for (int i = 0; i < 5; i++) {
        last = statsFrom(b, null);
        statuses.add(last.statusCode());
      }
      assertThat(statuses.subList(0, 3)).containsOnly(200);
      assertThat(statuses.get(4)).isEqualTo(429);
      assertThat(last.headers().firstValue("Retry-After")).isPresent();
      // Not from a trusted proxy: X-Forwarded-For is ignored, a client cannot pick its bucket.
      assertThat(statsFrom(b, "203.0.113.9").statusCode()).isEqualTo(429);
      // Admin endpoints with no key configured are off.
      HttpResponse<String> delete =
          http.send(
              HttpRequest.newBuilder(URI.create(b + "/api/images/" + someHttpImage()))
                  .header("Authorization", "Bearer anything")
                  .DELETE()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(delete.statusCode()).isEqualTo(403);
    }
  }

  @Test
  @Order(21)
  void each_uploaded_image_costs_a_request_of_its_own() throws Exception {
    // A burst of 3 requests. Until 2026-12-06 a search with any number of uploaded images (each
    // decoded and run through the model) cost one request.
    List<String> images =
        bytesOf.values().stream().limit(3).map(Base64.getEncoder()::encodeToString).toList();
    String image = images.get(0);
    try (ServingApp strict = new ServingApp(limited(Map.of()), encoder, "")) {
      String b = "http://127.0.0.1:" + strict.start("127.0.0.1", 0);
      String three =
          "{\"terms\":[{\"image\":\""
              + images.get(0)
              + "\"},{\"image\":\""
              + images.get(1)
              + "\"},{\"image\":\""
              + images.get(2)
              + "\"}]}";
      // Four requests' worth, capped at what the bucket holds (a dearer search could never be
      // served): it is served, and it empties the bucket.
      HttpResponse<String> dear = postTo(b, three);
      assertThat(dear.statusCode()).as(dear.body()).isEqualTo(200);
      assertThat(dear.headers().firstValue("X-RateLimit-Remaining")).contains("0");
    }
    try (ServingApp strict = new ServingApp(limited(Map.of()), encoder, "")) {
      String b = "http://127.0.0.1:" + strict.start("127.0.0.1", 0);
      // The same images again on a fresh server cost one image each; a word search, one request.
      HttpResponse<String> words = postTo(b, "{\"terms\":[{\"text\":\"cat\"}]}");
      assertThat(words.headers().firstValue("X-RateLimit-Remaining")).contains("2");
      HttpResponse<String> one = postTo(b, "{\"terms\":[{\"image\":\"" + image + "\"}]}");
      assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
      assertThat(one.headers().firstValue("X-RateLimit-Remaining")).contains("0");
    }
  }

  private HttpResponse<String> postTo(String base, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + "/api/search"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(21)
  void behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_limit() throws Exception {
    MemescopeConfig proxied =
        limited(Map.of("serving.trusted-proxies", "[\"127.0.0.1\", \"10.0.0.2\"]"));
    try (ServingApp app = new ServingApp(proxied, encoder, "")) {
      String b = "http://127.0.0.1:" + app.start("127.0.0.1", 0);
      List<Integer> first = new ArrayList<>();
      HttpResponse<String> last = null;
      for (int i = 0; i < 5; i++) {
        last = statsFrom(b, "203.0.113.7");
        first.add(last.statusCode());
      }
      assertThat(first.subList(0, 3)).containsOnly(200);
      assertThat(first.get(4)).isEqualTo(429);
      assertThat(last.body()).contains("203.0.113.7");
      // Another client behind the same proxy has a bucket of its own; so has one whose address
      // reached us through a second trusted proxy (the last untrusted address counts).
      assertThat(statsFrom(b, "203.0.113.8").statusCode()).isEqualTo(200);
      assertThat(statsFrom(b, "203.0.113.10, 10.0.0.2").statusCode()).isEqualTo(200);
      // An address a client wrote in front of the proxy's own entry is not believed.
      HttpResponse<String> spoofed = statsFrom(b, "198.51.100.1, 203.0.113.7");
      assertThat(spoofed.statusCode()).isEqualTo(429);
      // An IPv6 client is its /64: another address of it shares the bucket, which a client that
      // picks a fresh address per request would otherwise never empty.
      List<Integer> v6 = new ArrayList<>();
      for (int i = 1; i <= 4; i++) {
        v6.add(statsFrom(b, "2001:db8:1:2::" + i).statusCode());
      }
      assertThat(v6.subList(0, 3)).containsOnly(200);
      HttpResponse<String> sameNetwork = statsFrom(b, "2001:db8:1:2:ffff::9");
      assertThat(sameNetwork.statusCode()).isEqualTo(429);
      assertThat(sameNetwork.body()).contains("2001:db8:1:2::/64");
      assertThat(statsFrom(b, "2001:db8:1:3::1").statusCode()).isEqualTo(200);
    }
  }

  /** This corpus's settings with a rate limit of 1 a second and a burst of 3, and {@code more}. */
  private MemescopeConfig limited(Map<String, String> more) {
    Map<String, String> overrides = new HashMap<>(more);
    overrides.put("milvus.collection", config.milvus().collection());
    overrides.put("serving.rate-limit", "1");
    overrides.put("serving.rate-burst", "3");
    return TestStack.load(overrides);
  }

  /** GET /api/stats of {@code base}, with {@code X-Forwarded-For} unless it is null. */
  private HttpResponse<String> statsFrom(String base, String forwardedFor) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/api/stats"));
    if (forwardedFor != null) {
      request.header("X-Forwarded-For", forwardedFor);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(22)
  void unreachable_stores_give_503_with_a_retry_hint_never_a_stack_trace() throws Exception {
    MemescopeConfig dead =
        TestStack.load(Map.of("milvus.port", "1", "cassandra.native-port", "2", "kafka.port", "3"));
    try (ServingApp broken = new ServingApp(dead, encoder, adminKey)) {
      String b = "http://127.0.0.1:" + broken.start("127.0.0.1", 0);
      for (String path :
          List.of(
              "/api/images/" + someHttpImage(), "/api/images/" + someHttpImage() + "/similar")) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(b + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(r.body()).contains("unavailable").doesNotContain("Exception");
      }
      HttpResponse<String> s =
          http.send(
              HttpRequest.newBuilder(URI.create(b + "/api/search"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"terms\":[{\"text\":\"cat\"}]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(s.statusCode()).isEqualTo(503);
      JsonNode stats =
          Json.mapper()
              .readTree(
                  http.send(
                          HttpRequest.newBuilder(URI.create(b + "/api/stats")).build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body());
      assertThat(stats.path("images").isNull()).isTrue();
    }
  }

  @Test
  @Order(23)
  void metrics_count_requests_latency_and_errors() throws Exception {
    // A method of a client's own is one label, OTHER, not a series of its own (until 2026-12-08
    // each new name added a counter and a histogram for the life of the process).
    for (String method : List.of("FOO1", "FOO2")) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/stats"))
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(method).isGreaterThanOrEqualTo(400).isLessThan(500);
    }
    String metrics = new String(get("/metrics").body());
    assertThat(metrics).doesNotContain("FOO1").doesNotContain("FOO2");
    assertThat(metrics)
        .containsPattern(
            "memescope_http_requests_total\\{method=\"OTHER\",route=\"[^\"]+\",status=\"4\\d\\d\"\\} 2(\\.0)?\n")
        .containsPattern(
            "memescope_http_requests_total\\{method=\"POST\",route=\"/api/search\",status=\"200\"\\} \\d+")
        .containsPattern(
            "memescope_http_errors_total\\{method=\"POST\",route=\"/api/search\",status=\"400\"\\}")
        .contains(
            "memescope_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/search\",le=\"0.05\"}")
        .containsPattern(
            "memescope_model_info\\{kind=\"embedding\",version=\"[^\"]+\"\\} 1(\\.0)?\n")
        // The decoding budgets, after the image queries above: all given back.
        .containsPattern(
            "memescope_decode_memory_bytes\\{pool=\"native\",state=\"capacity\"\\} "
                + java.util.regex.Pattern.quote(
                    prometheusValue(io.memescope.core.embed.DecodeMemory.offHeap().capacity())))
        .contains("memescope_decode_memory_bytes{pool=\"native\",state=\"reserved\"} 0.0")
        .contains("memescope_decode_memory_bytes{pool=\"heap\",state=\"reserved\"} 0.0");
  }

  /** A value as Prometheus's text format writes it: Java's spelling of the double. */
  private static String prometheusValue(long value) {
    return Double.toString((double) value);
  }

  @Test
  @Order(23)
  void answers_to_this_loopback_client_are_not_gzipped_even_when_it_asks() throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/search"))
                .header("Content-Type", "application/json")
                .header("Accept-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofString("{\"limit\":30}"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body().length).isGreaterThan(1500); // large enough for Javalin to compress
    assertThat(r.headers().firstValue("Content-Encoding")).isEmpty();
    assertThat(Json.mapper().readTree(r.body()).path("results").size()).isPositive();
  }

  @Test
  @Order(24)
  void every_route_is_in_the_openapi_document_and_nothing_else_is() throws Exception {
    JsonNode doc = getJson("/openapi.json", 200);
    Set<String> documented = new HashSet<>();
    doc.path("paths")
        .fields()
        .forEachRemaining(
            p ->
                p.getValue()
                    .fieldNames()
                    .forEachRemaining(m -> documented.add(m.toUpperCase() + " " + p.getKey())));
    Set<String> served = new HashSet<>();
    app.routes().forEach(r -> served.add(r.method().name() + " " + r.path()));
    assertThat(documented).isEqualTo(served);
  }

  // ---- takedown --------------------------------------------------------------------------

  @Test
  @Order(29)
  void a_client_sending_wrong_admin_keys_is_held_back_the_right_key_too_once_past_the_limit()
      throws Exception {
    String key = "the-right-key-0123456789";
    try (ServingApp keyed = new ServingApp(config, encoder, key)) {
      String b = "http://127.0.0.1:" + keyed.start("127.0.0.1", 0);
      // The takedown of an id that no image has: nothing is taken down, whatever the key.
      String path = b + "/api/images/" + "0".repeat(32) + "?reason=test";
      assertThat(deleteWith(path, "Bearer " + key).statusCode()).as("the key works").isEqualTo(404);
      List<Integer> refused = new ArrayList<>();
      for (int i = 0; i < ServingApp.KEY_FAILURES_PER_MINUTE; i++) {
        refused.add(deleteWith(path, i % 2 == 0 ? "Bearer wrong-" + i : null).statusCode());
      }
      assertThat(refused).containsOnly(401, 403).contains(401, 403);
      HttpResponse<String> limited = deleteWith(path, "Bearer wrong-again");
      assertThat(limited.statusCode()).as(limited.body()).isEqualTo(429);
      assertThat(limited.headers().firstValue("Retry-After")).isPresent();
      assertThat(limited.body()).contains("too many admin requests with a wrong or missing key");
      assertThat(deleteWith(path, "Bearer " + key).statusCode())
          .as("the right key too, until the minute gives one back: guessing goes no faster")
          .isEqualTo(429);
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(b + "/api/stats")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .as("the rest of the API is not held back")
          .isEqualTo(200);
    }
    // Guesses sent all at once: each is charged before its key is looked at, so no more than the
    // limit get an answer about their key.
    try (ServingApp keyed = new ServingApp(config, encoder, key)) {
      String b = "http://127.0.0.1:" + keyed.start("127.0.0.1", 0);
      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        burst.add(
            http.sendAsync(
                HttpRequest.newBuilder(URI.create(b + "/api/images/" + "0".repeat(32)))
                    .header("Authorization", "Bearer guess-" + i)
                    .DELETE()
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      List<Integer> statuses = new ArrayList<>();
      for (var f : burst) {
        statuses.add(f.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
      }
      assertThat(statuses).containsOnly(403, 429);
      // (One more if the burst took 6 s, when the minute gives one back.)
      assertThat(statuses.stream().filter(c -> c == 403).count())
          .isBetween(
              (long) ServingApp.KEY_FAILURES_PER_MINUTE,
              (long) ServingApp.KEY_FAILURES_PER_MINUTE + 1);
    }
  }

  /** DELETE of {@code url} with {@code authorization} as the header (none when null). */
  private HttpResponse<String> deleteWith(String url, String authorization) throws Exception {
    HttpRequest.Builder delete = HttpRequest.newBuilder(URI.create(url)).DELETE();
    if (authorization != null) {
      delete.header("Authorization", authorization);
    }
    return http.send(delete.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(30)
  void a_takedown_needs_the_key_removes_the_image_everywhere_and_announces_it() throws Exception {
    String id = someHttpImage();
    HttpRequest.Builder delete =
        HttpRequest.newBuilder(URI.create(base + "/api/images/" + id + "?reason=test")).DELETE();
    assertThat(http.send(delete.build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(401);
    assertThat(
            http.send(
                    delete.header("Authorization", "Bearer wrong").build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(403);
    HttpResponse<String> ok = takedown(id, "test");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertValid("Takedown", Json.mapper().readTree(ok.body()));

    assertThat(get("/api/images/" + id).statusCode()).isEqualTo(404);
    assertThat(get("/api/images/" + id + "/thumbnail/small").statusCode()).isEqualTo(404);
    HttpResponse<String> byId = post("/api/search", "{\"terms\":[{\"imageId\":\"" + id + "\"}]}");
    assertThat(byId.statusCode()).isEqualTo(400);
    ObjectNode term = Json.mapper().createObjectNode();
    term.put("image", Base64.getEncoder().encodeToString(bytesOf.get(id)));
    assertThat(ids(search(terms(term), 100, null))).doesNotContain(id);
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      var row =
          cql.execute(
                  "SELECT image_id, reason FROM takedowns WHERE sha256 = ?",
                  sha256(bytesOf.get(id)))
              .one();
      assertThat(row).isNotNull();
      assertThat(row.getString("image_id")).isEqualTo(id);
      assertThat(
              cql.execute("SELECT sha256 FROM takedowns_by_image WHERE image_id = ?", id)
                  .one()
                  .getString("sha256"))
          .as("the record by id that the ingest job's index sink checks")
          .isEqualTo(sha256(bytesOf.get(id)));
      assertThat(cql.execute("SELECT url_hash FROM image_urls WHERE image_id = ?", id).all())
          .isEmpty();
    }
    Properties p = TestStack.consumerProperties(ByteArrayDeserializer.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(config.kafka().topic("takedowns").name()));
      List<Takedown> seen = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          seen.add(Json.read(r.value(), Takedown.class));
        }
      }
      assertThat(seen).extracting(Takedown::imageId).containsExactly(id);
    }
    assertThat(getJson("/api/stats", 200).path("images").asLong())
        .isEqualTo(HTTP_IMAGES + FILE_IMAGES + 30 - 1);

    // The running ingest job refuses the same bytes under a new URL from now on.
    String again = "/img/again-" + id + ".png";
    served.put(again, bytesOf.get(id));
    String url = "http://localhost:" + server.getAddress().getPort() + again;
    publish(List.of(record(url, "it", "posted again")));
    Properties rp = TestStack.consumerProperties(ByteArrayDeserializer.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(rp)) {
      consumer.subscribe(List.of(config.kafka().topic("ingest-rejects").name()));
      JsonNode reject = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (reject == null && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          JsonNode v = Json.mapper().readTree(r.value());
          if (v.path("url").asText().equals(UrlNormalizer.normalise(url))) {
            reject = v;
          }
        }
      }
      assertThat(reject).as("a reject for the re-posted copy").isNotNull();
      assertThat(reject.path("reason").asText()).isEqualTo("taken_down");
    }
    assertThat(get("/api/images/" + id).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(31)
  void a_takedown_recorded_but_left_half_done_elsewhere_is_finished_by_the_server()
      throws Exception {
    // What a replica that stopped between recording a takedown and deleting the image leaves (or
    // one whose Milvus delete failed): the record, and the image in Milvus and Cassandra. Until
    // 2026-12-07 no other replica finished it, and the image stayed findable until someone sent
    // the takedown again.
    String id = someHttpImage();
    assertThat(imageRow(id)).isTrue();
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      cql.execute(
          "INSERT INTO takedowns_by_image (image_id, sha256, taken_down_at) VALUES (?, ?, ?)",
          id,
          sha256(bytesOf.get(id)),
          Instant.now());
    }
    awaitFinished(id);
    assertThat(get("/api/images/" + id).statusCode()).isEqualTo(404);
    ObjectNode term = Json.mapper().createObjectNode();
    term.put("image", Base64.getEncoder().encodeToString(bytesOf.get(id)));
    assertThat(ids(search(terms(term), 100, null))).doesNotContain(id);
  }

  @Test
  @Order(32)
  void an_image_listed_under_thousands_of_urls_is_taken_down_with_all_of_them() throws Exception {
    // A meme reposted thousands of times. Until 2026-12-07 its URL rows were deleted in one
    // unlogged batch, which Cassandra refuses past 50 KiB (some 500 URLs): the takedown failed
    // every time it was sent.
    String id = someHttpImage();
    int urls = 2_000;
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      var insert =
          cql.prepare(
              "INSERT INTO image_urls (url_hash, url, image_id, source, title, page, first_seen)"
                  + " VALUES (?, ?, ?, 'it', 'a repost', null, ?)");
      List<java.util.concurrent.CompletableFuture<?>> writes = new ArrayList<>();
      for (int i = 0; i < urls; i++) {
        String url = "http://reposts.example/" + id + "/" + i + ".png";
        writes.add(
            cql.executeAsync(insert.bind(sha256(url.getBytes()), url, id, Instant.now()))
                .toCompletableFuture());
        if (writes.size() == 100) {
          writes.forEach(java.util.concurrent.CompletableFuture::join);
          writes.clear();
        }
      }
      writes.forEach(java.util.concurrent.CompletableFuture::join);
    }
    HttpResponse<String> ok = takedown(id, "reposts");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(imageRow(id)).isFalse();
    assertThat(inMilvus(id)).isFalse();
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      assertThat(cql.execute("SELECT url_hash FROM image_urls WHERE image_id = ?", id).all().size())
          .as("URL rows left of %s", id)
          .isZero();
    }
  }

  /** Takes {@code id} down with the admin key. */
  private HttpResponse<String> takedown(String id, String reason) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + "/api/images/" + id + "?reason=" + reason))
            .header("Authorization", "Bearer " + adminKey)
            .DELETE()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Waits up to 60 s for {@code id}'s image row to go, then checks Milvus has it no more. */
  private void awaitFinished(String id) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (imageRow(id) && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
    assertThat(imageRow(id)).as("the image row of %s, 60 s on", id).isFalse();
    assertThat(inMilvus(id)).as("%s in Milvus", id).isFalse();
  }

  private boolean imageRow(String id) {
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      return cql.execute("SELECT id FROM images WHERE id = ?", id).one() != null;
    }
  }

  private boolean inMilvus(String id) {
    var milvus = Clients.milvus(config.milvus());
    try {
      return !milvus
          .query(
              io.milvus.v2.service.vector.request.QueryReq.builder()
                  .collectionName(config.milvus().collection())
                  .filter(io.memescope.core.schema.MilvusCollection.ID + " == \"" + id + "\"")
                  .outputFields(List.of(io.memescope.core.schema.MilvusCollection.ID))
                  .consistencyLevel(io.milvus.v2.common.ConsistencyLevel.STRONG)
                  .build())
          .getQueryResults()
          .isEmpty();
    } finally {
      milvus.close();
    }
  }

  // ---- the UI in a real browser ----------------------------------------------------------

  @Test
  @Order(40)
  void the_search_ui_works_in_headless_chromium() throws Exception {
    // The page is also reachable as a static file: with the same policy as at "/".
    for (String path : List.of("/", "/ui/index.html")) {
      HttpResponse<byte[]> page = get(path);
      assertThat(page.statusCode()).as(path).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Security-Policy"))
          .as(path)
          .hasValue(ServingApp.csp());
    }
    Path ui = Runtimes.root().resolve("serving/src/test/ui");
    Path out = Runtimes.root().resolve("serving/target/ui-test");
    Files.createDirectories(out);
    Path upload = out.resolve("upload.png");
    Files.write(upload, bytesOf.get(someHttpImage()));
    run(
        List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", ui.toString()),
        Duration.ofMinutes(5));
    run(
        List.of(
            "node",
            ui.resolve("ui-test.mjs").toString(),
            "--base-url",
            base,
            "--upload",
            upload.toString(),
            "--out",
            out.toString()),
        Duration.ofMinutes(5));
  }

  // ---- a store that goes away mid-stream -------------------------------------------------

  @Test
  @Order(50)
  void milvus_killed_mid_stream_gives_503_and_the_api_recovers_when_it_is_back() throws Exception {
    String id = someHttpImage();
    assertThat(post("/api/search", "{\"terms\":[{\"imageId\":\"" + id + "\"}]}").statusCode())
        .isEqualTo(200);
    MemescopeConfig stack = TestStack.config();
    ProcessHandle process = TestStack.process("milvus");
    // Searches in flight when Milvus goes, and those that arrive while it is down, all answer 503
    // within seconds. Until 2026-12-06 the SDK retried an unavailable server 75 times (about
    // 3.5 min), the first failure closed the client under every other request, and reconnects
    // queued one at a time behind a lock, 3 s each.
    java.util.concurrent.ExecutorService clients =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<HttpResponse<String>>> inFlight = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String body = "{\"terms\":[{\"text\":\"in flight " + i + "\"}],\"limit\":50}";
        inFlight.add(clients.submit(() -> post("/api/search", body)));
      }
      process.destroyForcibly();
      process.onExit().get(30, TimeUnit.SECONDS);
      long start = System.nanoTime();
      List<java.util.concurrent.Future<HttpResponse<String>>> arriving = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String body = "{\"terms\":[{\"text\":\"while down " + i + "\"}]}";
        arriving.add(clients.submit(() -> post("/api/search", body)));
      }
      for (var answer : inFlight) {
        assertThat(answer.get(60, TimeUnit.SECONDS).statusCode()).isIn(200, 503);
      }
      for (var answer : arriving) {
        HttpResponse<String> r = answer.get(60, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("time until the last of 8 searches sent while Milvus was down had its 503")
          .isLessThan(Duration.ofSeconds(15));
    } finally {
      clients.shutdownNow();
    }
    HttpResponse<String> down = post("/api/search", "{\"terms\":[{\"imageId\":\"" + id + "\"}]}");
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.headers().firstValue("Retry-After")).isPresent();
    assertThat(down.body()).contains("Milvus");
    // A takedown sent now is recorded and answered 503 (the Milvus delete failed), and the image
    // is out of this replica's answers from then on. Once Milvus is back the server finishes it
    // by itself: until 2026-12-07 the image came back after 10 minutes unless the request was
    // repeated.
    String halfDone = someHttpImage();
    HttpResponse<String> takedown = takedown(halfDone, "down");
    assertThat(takedown.statusCode()).as(takedown.body()).isEqualTo(503);
    assertThat(imageRow(halfDone)).isTrue();
    assertThat(get("/api/images/" + halfDone).statusCode()).isEqualTo(404);
    new io.memescope.infra.stack.LocalStack(stack)
        .up(List.of("milvus"), (s, m) -> System.out.println("[fault] " + s + ": " + m));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    HttpResponse<String> last = down;
    while (last.statusCode() != 200 && System.nanoTime() < deadline) {
      last = post("/api/search", "{\"terms\":[{\"text\":\"" + captionOf.get(id) + "\"}]}");
      Thread.sleep(1000);
    }
    assertThat(last.statusCode())
        .as("the API recovers once Milvus is back; last answer: %s", last.body())
        .isEqualTo(200);
    awaitFinished(halfDone);
  }

  // ---- helpers ---------------------------------------------------------------------------

  private CrawlRecord httpImage(int i, String source) {
    String caption = Memes.WORDS[i % Memes.WORDS.length] + " " + i;
    byte[] bytes = Memes.encode(Memes.meme(i, caption), i % 3 == 0 ? "jpg" : "png");
    String path = "/img/" + i + ".png";
    served.put(path, bytes);
    String id = imageId(bytes);
    captionOf.put(id, caption);
    bytesOf.put(id, bytes);
    return record("http://localhost:" + server.getAddress().getPort() + path, source, caption);
  }

  private static CrawlRecord record(String url, String source, String title) {
    return CrawlRecord.of(
        UrlNormalizer.normalise(url), source, Instant.now(), title, null, null, Map.of());
  }

  private void publish(List<CrawlRecord> records) {
    Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (CrawlRecord r : records) {
        producer.send(
            new ProducerRecord<>(
                config.kafka().topic("crawl-urls").name(), r.urlHash(), Json.write(r)));
      }
    }
  }

  private void awaitIndexed(int count, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    long images = -1;
    while (System.nanoTime() < deadline) {
      HttpResponse<byte[]> r = get("/api/stats");
      if (r.statusCode() == 200) {
        images = Json.mapper().readTree(r.body()).path("images").asLong(-1);
        if (images >= count) {
          return;
        }
      }
      Thread.sleep(1000);
    }
    throw new AssertionError(
        "only " + images + " of " + count + " images were indexed in " + timeout);
  }

  private String someHttpImage() {
    for (var e : captionOf.entrySet()) {
      if (!fileIds.contains(e.getKey()) && !takenDown.contains(e.getKey())) {
        takenDown.add(
            e.getKey()); // each caller gets its own image: a takedown cannot hit another test's
        return e.getKey();
      }
    }
    throw new IllegalStateException("no image left");
  }

  private final Set<String> takenDown = new HashSet<>();

  private static ArrayNode terms(ObjectNode... terms) {
    ArrayNode a = Json.mapper().createArrayNode();
    for (ObjectNode t : terms) {
      a.add(t);
    }
    return a;
  }

  private static ObjectNode text(String text, double weight) {
    return Json.mapper().createObjectNode().put("text", text).put("weight", weight);
  }

  private static ObjectNode idTerm(String id, double weight) {
    return Json.mapper().createObjectNode().put("imageId", id).put("weight", weight);
  }

  private JsonNode search(ArrayNode terms, int limit, String cursor) throws Exception {
    return search(terms, limit, cursor, null);
  }

  private JsonNode search(ArrayNode terms, int limit, String cursor, ObjectNode filters)
      throws Exception {
    return search(terms, limit, cursor, filters, null);
  }

  private JsonNode search(
      ArrayNode terms, int limit, String cursor, ObjectNode filters, String sort) throws Exception {
    ObjectNode body = Json.mapper().createObjectNode();
    if (sort != null) {
      body.put("sort", sort);
    }
    body.set("terms", terms);
    body.put("limit", limit);
    if (cursor != null) {
      body.put("cursor", cursor);
    }
    if (filters != null) {
      body.set("filters", filters);
    }
    HttpResponse<String> r = post("/api/search", body.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Json.mapper().readTree(r.body());
  }

  private static List<String> ids(JsonNode page) {
    List<String> ids = new ArrayList<>();
    page.path("results").forEach(r -> ids.add(r.path("id").asText()));
    return ids;
  }

  private static double scoreOf(JsonNode page, String id) {
    for (JsonNode r : page.path("results")) {
      if (r.path("id").asText().equals(id)) {
        return r.path("score").asDouble();
      }
    }
    return -2;
  }

  private static int rank(JsonNode page, String id) {
    return ids(page).indexOf(id);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /**
   * GET of {@code path} written by hand on a socket, for addresses java.net.URI refuses: the status
   * code and the body (the server closes the connection after it).
   */
  private String[] rawGet(String path) throws Exception {
    URI u = URI.create(base);
    try (java.net.Socket socket = new java.net.Socket(u.getHost(), u.getPort())) {
      socket.setSoTimeout(30_000);
      socket
          .getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.0\r\nHost: " + u.getHost() + "\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String answer =
          new String(
              socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      String status = answer.substring(answer.indexOf(' ') + 1, answer.indexOf(' ') + 4);
      int bodyAt = answer.indexOf("\r\n\r\n");
      return new String[] {status, bodyAt < 0 ? "" : answer.substring(bodyAt + 4)};
    }
  }

  private JsonNode getJson(String path, int status) throws Exception {
    HttpResponse<byte[]> r = get(path);
    assertThat(r.statusCode()).as(path + ": " + new String(r.body())).isEqualTo(status);
    return Json.mapper().readTree(r.body());
  }

  private static void assertValid(String schema, JsonNode value) {
    JsonSchema s =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(
                SchemaLocation.of(
                    "classpath:io/memescope/serving/openapi.json#/components/schemas/" + schema));
    assertThat(s.validate(value)).as(schema + ": " + value).isEmpty();
  }

  private static void run(List<String> command, Duration timeout) throws Exception {
    io.memescope.infra.testing.Programs.run(command, timeout);
  }

  private static Path jobJar() {
    return Path.of(System.getProperty("memescope.jobJar"));
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  static String imageId(byte[] bytes) {
    try {
      return sha256(bytes).substring(0, 32);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
