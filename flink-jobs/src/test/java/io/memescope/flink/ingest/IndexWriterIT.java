package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.Schema;
import io.memescope.infra.testing.TestStack;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.vector.request.QueryReq;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The index writer against the test stack's stores: one commit as large as a busy checkpoint
 * interval (3,000 effects), written twice, leaves each image once; thumbnails of 72 KB together
 * (noisy pictures' are this large) are written although Cassandra refuses batches over 50 KiB.
 */
class IndexWriterIT {
  @Test
  void a_large_batch_written_twice_leaves_every_image_once() throws Exception {
    String run = TestStack.uniqueName("writer");
    MemescopeConfig config = freshIndex(run);
    byte[] thumb = new byte[12_000]; // thumbnails as large as real ones
    byte[] largeThumb = new byte[60_000];
    List<IndexEffect> effects =
        TestImages.created(
            "http://example.test/" + run + "/",
            3000,
            64,
            List.of(
                new Thumb("small", "jpeg", 256, 256, thumb),
                new Thumb("large", "jpeg", 720, 720, largeThumb)),
            new Random(1));
    List<String> ids = effects.stream().map(IndexEffect::imageId).toList();
    try (IndexWriter writer = new IndexWriter(config)) {
      writer.write(effects);
      writer.write(effects); // a retried commit
    }
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      long count =
          milvus
              .query(
                  QueryReq.builder()
                      .collectionName(run)
                      .filter("id != \"\"")
                      .outputFields(List.of("count(*)"))
                      .consistencyLevel(ConsistencyLevel.STRONG)
                      .build())
              .getQueryResults()
              .get(0)
              .getEntity()
              .values()
              .stream()
              .mapToLong(v -> ((Number) v).longValue())
              .findFirst()
              .orElse(-1);
      assertThat(count).isEqualTo(3000);
    } finally {
      milvus.close();
    }
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      for (String id : List.of(ids.get(0), ids.get(1500), ids.get(2999))) {
        assertThat(cql.execute("SELECT titles FROM images WHERE id = ?", id).one()).isNotNull();
        var large =
            cql.execute(
                    "SELECT data FROM image_thumbnails WHERE image_id = ? AND size = 'large'", id)
                .one();
        assertThat(large).isNotNull();
        assertThat(large.getByteBuffer("data").remaining()).isEqualTo(largeThumb.length);
      }
    }
  }

  /**
   * A URL listed again without a title or page (by another source, or crawled again after its
   * seen-URL entry ran out) keeps what its first listing said: its source, title and page.
   */
  @Test
  void a_url_listed_again_without_title_or_page_keeps_its_first_ones() throws Exception {
    String run = TestStack.uniqueName("writer");
    MemescopeConfig config = freshIndex(run);
    IndexEffect first =
        TestImages.created(
                "http://example.test/" + run + "/",
                1,
                64,
                List.of(new Thumb("small", "jpeg", 8, 8, new byte[64])),
                new Random(2))
            .get(0);
    UrlInfo info = first.info();
    UrlInfo withPage =
        new UrlInfo(
            info.url(),
            info.urlHash(),
            info.seenKey(),
            info.source(),
            "the first title",
            "http://example.test/thread/1",
            null,
            info.discoveredAt(),
            Map.of());
    IndexEffect created =
        IndexEffect.created(
            new Candidate(
                withPage,
                first.imageId(),
                first.image().sha256(),
                first.image().phash(),
                first.image().width(),
                first.image().height(),
                first.image().format(),
                first.image().byteSize(),
                null,
                first.image().thumbs()),
            first.vector());
    UrlInfo bare =
        new UrlInfo(
            info.url(),
            info.urlHash(),
            info.seenKey() + "-again",
            "another-source",
            null,
            null,
            null,
            info.discoveredAt() + 60_000,
            Map.of());
    try (IndexWriter writer = new IndexWriter(config)) {
      writer.write(List.of(created));
      writer.write(List.of(IndexEffect.merged(IndexEffect.EXACT, first.imageId(), bare, 0)));
    }
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      var row =
          cql.execute(
                  "SELECT title, page, source, image_id FROM image_urls WHERE url_hash = ?",
                  info.urlHash())
              .one();
      assertThat(row).isNotNull();
      assertThat(row.getString("image_id")).isEqualTo(first.imageId());
      assertThat(row.getString("source")).as("the first listing's").isEqualTo(info.source());
      assertThat(row.getString("title")).isEqualTo("the first title");
      assertThat(row.getString("page")).isEqualTo("http://example.test/thread/1");
    }
  }

  @Test
  void an_image_reposted_under_many_titles_keeps_those_of_its_first_listings() throws Exception {
    // Until 2026-12-06 every merge added its title to the image's set, which each search result
    // reads and returns whole: a meme reposted thousands of times carried thousands of titles.
    String run = TestStack.uniqueName("writer");
    MemescopeConfig config = freshIndex(run);
    IndexEffect first =
        TestImages.created("http://example.test/" + run + "/", 1, 64, List.of(), new Random(3))
            .get(0);
    UrlInfo info = first.info();
    List<IndexEffect> reposts = new ArrayList<>();
    for (int i = 0; i < IndexWriter.MAX_TITLES + 10; i++) {
      UrlInfo repost =
          new UrlInfo(
              info.url() + "repost/" + i,
              info.urlHash() + "-" + i,
              info.seenKey() + "-" + i,
              info.source(),
              "title " + i,
              null,
              null,
              info.discoveredAt() + i,
              Map.of());
      reposts.add(IndexEffect.merged(IndexEffect.EXACT, first.imageId(), repost, 0));
    }
    try (IndexWriter writer = new IndexWriter(config)) {
      writer.write(List.of(first));
      writer.write(reposts.subList(0, 30));
      writer.write(reposts.subList(30, reposts.size()));
    }
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      var titles =
          cql.execute("SELECT titles FROM images WHERE id = ?", first.imageId())
              .one()
              .getSet("titles", String.class);
      assertThat(titles).hasSize(IndexWriter.MAX_TITLES).contains("title 0", "title 29");
      assertThat(titles).doesNotContain("title " + (IndexWriter.MAX_TITLES + 9));
      // Each URL keeps its own title beside it.
      assertThat(
              cql.execute(
                      "SELECT title FROM image_urls WHERE url_hash = ?",
                      reposts.get(reposts.size() - 1).info().urlHash())
                  .one()
                  .getString("title"))
          .isEqualTo("title " + (IndexWriter.MAX_TITLES + 9));
    }
  }

  /**
   * Sightings written in any order, and a commit retried, leave an image's first sighting (time and
   * URL, in Cassandra and in Milvus) and its latest (last_seen), and a URL's row its first
   * listing's: an image met again as new (a job started without its state), a sighting that arrives
   * after a later one, a URL listed again by another source, and a URL whose content changed. Until
   * 2026-12-05 each later write overwrote what it carried.
   */
  @Test
  void sightings_in_any_order_keep_the_first_and_the_last() throws Exception {
    String run = TestStack.uniqueName("writer");
    MemescopeConfig config = freshIndex(run);
    String base = "http://example.test/" + run + "/";
    List<IndexEffect> made =
        TestImages.created(
            base,
            2,
            64,
            List.of(new Thumb("small", "jpeg", 8, 8, new byte[64])),
            new Random(run.hashCode())); // ids of this run only: the keyspace outlives runs
    IndexEffect a = made.get(0);
    IndexEffect b = made.get(1);
    // A month ago, so that every sighting below is in the past, as write times must be.
    long t0 = (System.currentTimeMillis() / 1000 - 30 * 86_400) * 1000;
    UrlInfo first = info(base + "a/first", "feed-1", null, t0);
    IndexEffect aFirst = again(a, first);
    IndexEffect later =
        IndexEffect.merged(
            IndexEffect.EXACT,
            a.imageId(),
            info(base + "a/later", "feed-2", "a title of a", t0 + 3_000_000),
            0);
    IndexEffect earlier =
        IndexEffect.merged(
            IndexEffect.NEAR,
            a.imageId(),
            info(base + "a/earlier", "feed-2", null, t0 + 2_000_000),
            3);
    IndexEffect newAgain = again(a, info(base + "a/restart", "feed-3", null, t0 + 5_000_000));
    IndexEffect relisted =
        IndexEffect.merged(
            IndexEffect.EXACT,
            a.imageId(),
            info(first.url(), "feed-4", "a late title", t0 + 6_000_000),
            0);
    // The URL of `later` now gives another picture, listed without a title.
    IndexEffect changed = again(b, info(base + "a/later", "feed-5", null, t0 + 7_000_000));
    // And a stale listing of the URL's old content, from before the change, comes last.
    IndexEffect stale =
        IndexEffect.merged(
            IndexEffect.EXACT,
            a.imageId(),
            info(base + "a/later", "feed-6", null, t0 + 6_500_000),
            0);
    try (IndexWriter writer = new IndexWriter(config);
        CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      writer.write(List.of(aFirst));
      writer.write(List.of(later));
      writer.write(List.of(earlier)); // after the later one
      assertThat(
              cql.execute("SELECT last_seen FROM images WHERE id = ?", a.imageId())
                  .one()
                  .getInstant("last_seen"))
          .as("the later sighting's, though the earlier one was written after it")
          .isEqualTo(java.time.Instant.ofEpochMilli(t0 + 3_000_000));
      List<IndexEffect> restart = List.of(newAgain, relisted, changed);
      writer.write(restart);
      writer.write(restart); // a retried commit
      writer.write(List.of(stale));
    }
    try (CqlSession cql = Clients.cassandraKeyspace(config.cassandra())) {
      var image =
          cql.execute(
                  "SELECT first_seen, first_url, last_seen FROM images WHERE id = ?", a.imageId())
              .one();
      assertThat(image.getInstant("first_seen")).isEqualTo(java.time.Instant.ofEpochMilli(t0));
      assertThat(image.getString("first_url")).isEqualTo(first.url());
      assertThat(image.getInstant("last_seen"))
          .as("the stale listing at t0 + 6,500 s, the latest sighting of the image")
          .isEqualTo(java.time.Instant.ofEpochMilli(t0 + 6_500_000));
      var url =
          cql.execute(
                  "SELECT image_id, source, title, first_seen FROM image_urls WHERE url_hash = ?",
                  first.urlHash())
              .one();
      assertThat(url.getString("image_id")).isEqualTo(a.imageId());
      assertThat(url.getString("source")).as("the first listing's").isEqualTo("feed-1");
      assertThat(url.getInstant("first_seen")).isEqualTo(java.time.Instant.ofEpochMilli(t0));
      assertThat(url.getString("title"))
          .as("filled in, the first had none")
          .isEqualTo("a late title");
      var moved =
          cql.execute(
                  "SELECT image_id, source, title, first_seen FROM image_urls WHERE url_hash = ?",
                  later.info().urlHash())
              .one();
      assertThat(moved.getString("image_id"))
          .as("the URL's new content, not the stale listing's")
          .isEqualTo(b.imageId());
      assertThat(moved.getString("source")).isEqualTo("feed-5");
      assertThat(moved.getString("title")).as("not the old picture's").isNull();
      assertThat(moved.getInstant("first_seen"))
          .isEqualTo(java.time.Instant.ofEpochMilli(t0 + 7_000_000));
    }
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      var rows =
          milvus
              .query(
                  QueryReq.builder()
                      .collectionName(run)
                      .filter("id == \"" + a.imageId() + "\"")
                      .outputFields(List.of("first_seen", "source"))
                      .consistencyLevel(ConsistencyLevel.STRONG)
                      .build())
              .getQueryResults();
      assertThat(rows).hasSize(1);
      assertThat(((Number) rows.get(0).getEntity().get("first_seen")).longValue()).isEqualTo(t0);
      assertThat(rows.get(0).getEntity().get("source"))
          .as("the first sighting's source, for the search filter")
          .isEqualTo("feed-1");
    } finally {
      milvus.close();
    }
  }

  private static UrlInfo info(String url, String source, String title, long discoveredAt) {
    String hash = io.memescope.core.records.UrlHash.of(url);
    return new UrlInfo(url, hash, hash, source, title, null, null, discoveredAt, Map.of());
  }

  /** {@code made}'s image, new again, as listed by {@code info}. */
  private static IndexEffect again(IndexEffect made, UrlInfo info) {
    Candidate c = made.image();
    return IndexEffect.created(
        new Candidate(
            info,
            made.imageId(),
            c.sha256(),
            c.phash(),
            c.width(),
            c.height(),
            c.format(),
            c.byteSize(),
            null,
            c.thumbs()),
        made.vector());
  }

  /**
   * An image indexed with a quality and met again as new without one (a job started without its
   * state, while no model could score) keeps its quality in Milvus: the row there is replaced
   * whole, and it fell to 0 under Cassandra's unchanged version, out of the re-scoring job's reach.
   */
  @Test
  void an_image_written_again_unscored_keeps_its_stored_quality() throws Exception {
    String run = TestStack.uniqueName("writer");
    MemescopeConfig config = freshIndex(run);
    List<IndexEffect> images =
        TestImages.created(
            "http://example.test/" + run + "/",
            2,
            64,
            List.of(new Thumb("small", "jpeg", 8, 8, new byte[64])),
            new Random(3));
    IndexEffect scored =
        images.get(0).scored(new IndexEffect.Quality("q-it-1", 0.8f, Map.of("funny", 0.8f)));
    IndexEffect neverScored = images.get(1);
    try (IndexWriter writer = new IndexWriter(config)) {
      writer.write(List.of(scored, neverScored));
      writer.write(List.of(images.get(0), neverScored)); // both again, unscored
    }
    MilvusClientV2 milvus = Clients.milvus(config.milvus());
    try {
      Map<String, Float> quality = new java.util.HashMap<>();
      for (var row :
          milvus
              .query(
                  QueryReq.builder()
                      .collectionName(run)
                      .filter("id != \"\"")
                      .outputFields(List.of("id", "quality"))
                      .consistencyLevel(ConsistencyLevel.STRONG)
                      .build())
              .getQueryResults()) {
        quality.put(
            (String) row.getEntity().get("id"),
            ((Number) row.getEntity().get("quality")).floatValue());
      }
      assertThat(quality)
          .containsEntry(scored.imageId(), 0.8f)
          .containsEntry(neverScored.imageId(), 0f);
    } finally {
      milvus.close();
    }
  }

  /**
   * The sink's committer builds a writer again on every retry. One that fails half-built (here:
   * Milvus unreachable, after the Cassandra session is open) closes what it had opened; until
   * 2026-12-05 each failed attempt left a Cassandra session, with its threads and connections,
   * behind.
   */
  @Test
  void a_writer_that_cannot_reach_milvus_fails_and_leaves_no_cassandra_session_behind()
      throws Exception {
    TestStack.config();
    int deadPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    MemescopeConfig noMilvus = TestStack.load(Map.of("milvus.port", Integer.toString(deadPort)));
    // Sessions are named s0, s1, ... in the order they are opened in this JVM, and so are their
    // threads (s5-io-0, s5-admin-1, ...): the writers' sessions come after this one.
    int probe;
    try (CqlSession session = Clients.cassandra(noMilvus.cassandra())) {
      probe = number(session.getName());
      assertThat(driverThreads())
          .as("a session's threads, as counted below")
          .anyMatch(n -> n.startsWith(session.getName() + "-"));
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      // Milvus's failure, after the Cassandra session is open: the case the clean-up is for.
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> new IndexWriter(noMilvus))
          .isInstanceOf(RuntimeException.class)
          .hasStackTraceContaining("io.milvus");
    }
    // The threads of a closed session end after the driver's quiet period (2 s).
    java.util.List<String> left = List.of();
    for (int wait = 0; wait < 50; wait++) {
      left = driverThreads().stream().filter(n -> number(n) > probe).sorted().toList();
      if (left.isEmpty()) {
        break;
      }
      Thread.sleep(200);
    }
    assertThat(left).as("threads of the failed writers' Cassandra sessions").isEmpty();
  }

  /**
   * The test stack's settings with a collection and an indexed topic named {@code run}, applied.
   */
  private static MemescopeConfig freshIndex(String run) throws Exception {
    TestStack.config();
    MemescopeConfig config =
        TestStack.load(
            Map.of("milvus.collection", run, "kafka.topics.ingest-indexed.name", run + ".indexed"));
    Schema.apply(config);
    return config;
  }

  /** The number of the session a name (s5) or a thread name (s5-io-0) is of. */
  private static int number(String name) {
    return Integer.parseInt(name.substring(1).split("-")[0]);
  }

  /**
   * The Cassandra driver's threads in this JVM: each session has its own, named after it ({@code
   * s3-io-0}, {@code s3-admin-1}, ...), and a new session a new name.
   */
  private static java.util.Set<String> driverThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(n -> n.matches("s\\d+-(io|admin|timer)-\\d+"))
        .collect(java.util.stream.Collectors.toSet());
  }
}
