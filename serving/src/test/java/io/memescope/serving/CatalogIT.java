package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.Schema;
import io.memescope.infra.testing.TestStack;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The search results' metadata cache on the test stack's Cassandra: fresh metadata is reused, stale
 * metadata is used once more while it is read again in the background, metadata past its max age is
 * read before answering, and a forgotten (taken-down) image is read afresh, even when the takedown
 * lands while a background read of it is in flight.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CatalogIT {
  private MemescopeConfig config;
  private CqlSession cql;
  private Stores stores;

  @BeforeAll
  void keyspace() {
    TestStack.config();
    config = TestStack.load(Map.of("cassandra.keyspace", TestStack.uniqueName("catalog")));
    Schema.apply(config);
    cql = Clients.cassandraKeyspace(config.cassandra());
    stores = new Stores(config);
  }

  @AfterAll
  void drop() {
    stores.close();
    cql.execute("DROP KEYSPACE IF EXISTS " + config.cassandra().keyspace());
    cql.close();
  }

  private void write(String id, String title) {
    cql.execute(
        "INSERT INTO images (id, width, height, titles, sources, first_seen, first_url)"
            + " VALUES (?, 640, 480, ?, {'it'}, ?, 'https://example.org/x.jpg')",
        id,
        Set.of(title),
        Instant.parse("2026-12-01T00:00:00Z"));
  }

  /** A hook that says a read is done, then holds it until {@code release} (10 s at most). */
  private static Runnable holding(CountDownLatch readDone, CountDownLatch release) {
    return () -> {
      readDone.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  private static Set<String> titles(Catalog catalog, String id) {
    Catalog.Summary s = catalog.summaries(List.of(id)).get(id);
    return s == null ? null : s.titles();
  }

  @Test
  void stale_metadata_is_served_once_more_and_replaced_in_the_background() throws Exception {
    Catalog catalog = new Catalog(stores, Duration.ofMillis(300), Duration.ofSeconds(60));
    try {
      String id = "c1".repeat(16);
      write(id, "first");
      assertThat(titles(catalog, id)).containsExactly("first"); // read now: not cached yet
      write(id, "second");
      assertThat(titles(catalog, id)).containsExactly("first"); // fresh: reused
      Thread.sleep(400);
      // Stale: this answer still uses the cached title (no wait for Cassandra) ...
      assertThat(titles(catalog, id)).containsExactly("first");
      // ... and a background read replaces it soon after.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!Set.of("second").equals(titles(catalog, id)) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(titles(catalog, id)).containsExactly("second");

      // An image gone from Cassandra (taken down by another replica) leaves the cache at its
      // next background read instead of being shown with its old metadata.
      cql.execute("DELETE FROM images WHERE id = ?", id);
      Thread.sleep(400);
      titles(catalog, id); // stale: triggers the read that finds it gone
      deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (titles(catalog, id) != null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(titles(catalog, id)).isNull();
    } finally {
      catalog.close();
    }
  }

  @Test
  void metadata_past_its_max_age_or_forgotten_is_read_before_answering() throws Exception {
    Catalog catalog = new Catalog(stores, Duration.ofMillis(200), Duration.ofMillis(500));
    try {
      String id = "c2".repeat(16);
      write(id, "first");
      assertThat(titles(catalog, id)).containsExactly("first");
      write(id, "second");
      Thread.sleep(700); // past the max age, without a request in between to refresh it
      assertThat(titles(catalog, id)).containsExactly("second");

      write(id, "third");
      catalog.forget(id); // what a takedown does, before it deletes the rows
      assertThat(titles(catalog, id)).as("left out, though its row is still there").isNull();
    } finally {
      catalog.close();
    }
  }

  @Test
  void a_takedown_while_a_background_read_is_in_flight_is_not_undone() throws Exception {
    Catalog catalog = new Catalog(stores, Duration.ofMillis(200), Duration.ofSeconds(60));
    CountDownLatch readDone = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    catalog.afterBackgroundRead = holding(readDone, release);
    try {
      String id = "c4".repeat(16);
      write(id, "first");
      assertThat(titles(catalog, id)).containsExactly("first");
      Thread.sleep(300);
      assertThat(titles(catalog, id)).containsExactly("first"); // stale: read in the background
      // The background read has the row and waits before putting it in the cache ...
      assertThat(readDone.await(10, TimeUnit.SECONDS)).isTrue();
      // ... when the takedown deletes the row and drops the image from the cache.
      cql.execute("DELETE FROM images WHERE id = ?", id);
      catalog.forget(id);
      release.countDown();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (catalog.refreshing(id) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(catalog.refreshing(id)).isFalse();
      // The read that finished after the takedown did not bring the old metadata back.
      assertThat(titles(catalog, id)).isNull();
    } finally {
      release.countDown();
      catalog.close();
    }
  }

  @Test
  void a_takedown_while_a_first_read_is_in_flight_is_not_undone() throws Exception {
    // The read of an image not cached yet has its row when the takedown deletes it and drops
    // it from the cache; until 2026-12-06 the read then put it in the cache and showed it.
    for (Duration cacheFor : List.of(Duration.ofSeconds(60), Duration.ZERO)) {
      Catalog catalog = new Catalog(stores, cacheFor, Duration.ofSeconds(60));
      CountDownLatch readDone = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      catalog.afterForegroundRead = holding(readDone, release);
      try {
        String id = (cacheFor.isZero() ? "c6" : "c5").repeat(16);
        write(id, "first");
        var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> titles(catalog, id));
        assertThat(readDone.await(10, TimeUnit.SECONDS)).isTrue();
        catalog.forget(id);
        cql.execute("DELETE FROM images WHERE id = ?", id);
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).as("the answer in flight").isNull();
        catalog.afterForegroundRead = () -> {};
        assertThat(titles(catalog, id)).as("the next answer").isNull();
      } finally {
        release.countDown();
        catalog.close();
      }
    }
  }

  @Test
  void no_cache_reads_every_time() {
    Catalog catalog = new Catalog(stores, Duration.ZERO, Duration.ZERO);
    try {
      String id = "c3".repeat(16);
      write(id, "first");
      assertThat(titles(catalog, id)).containsExactly("first");
      write(id, "second");
      assertThat(titles(catalog, id)).containsExactly("second");
    } finally {
      catalog.close();
    }
  }

  @Test
  void a_row_with_thousands_of_titles_shows_the_first_fifty() {
    // Written before the ingest job kept 50 per image (2026-12-06): every repost's title.
    Catalog catalog = new Catalog(stores, Duration.ZERO, Duration.ZERO);
    try {
      String id = "c7".repeat(16);
      Set<String> many = new java.util.HashSet<>();
      for (int i = 0; i < 3_000; i++) {
        many.add(String.format("repost %04d", i));
      }
      cql.execute(
          "INSERT INTO images (id, width, height, titles, sources, first_seen, first_url)"
              + " VALUES (?, 640, 480, ?, {'it'}, ?, 'https://example.org/x.jpg')",
          id,
          many,
          Instant.parse("2026-12-01T00:00:00Z"));
      assertThat(titles(catalog, id))
          .hasSize(Catalog.TITLES_PER_RESULT)
          .contains("repost 0000", "repost 0049");
    } finally {
      catalog.close();
    }
  }
}
