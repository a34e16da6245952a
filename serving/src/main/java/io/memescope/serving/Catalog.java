package io.memescope.serving;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.memescope.core.image.Thumbnailer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image metadata, URLs, thumbnails and takedowns in Cassandra, as serving reads and writes them.
 */
final class Catalog {
  private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);

  /** How long background metadata reads stop after one failed. */
  static final Duration REFRESH_PAUSE = Duration.ofSeconds(5);

  /** URLs shown with each search result; the detail view pages through all of them. */
  static final int URLS_PER_RESULT = 3;

  static final int MAX_URLS = 1000;

  record Thumb(int width, int height) {}

  /** What a search result shows of an image. */
  record Summary(
      String id,
      int width,
      int height,
      Set<String> titles,
      Set<String> sources,
      Float quality,
      Instant firstSeen,
      Map<String, Thumb> thumbs,
      List<String> urls) {}

  record UrlSeen(String url, String source, String title, String page, Instant firstSeen) {}

  /** Everything about one image. */
  record Detail(
      Summary summary,
      String sha256,
      long phash,
      String format,
      long byteSize,
      Instant lastSeen,
      String qualityVersion,
      List<UrlSeen> urls) {}

  record Thumbnail(String format, byte[] data) {}

  private final Stores stores;
  private volatile Statements statements;

  private record Statements(
      PreparedStatement summaries,
      PreparedStatement thumbs,
      PreparedStatement urls,
      PreparedStatement detail,
      PreparedStatement thumbnail,
      PreparedStatement insertTakedown,
      PreparedStatement insertTakedownId,
      PreparedStatement deleteImage,
      PreparedStatement deleteThumbs,
      PreparedStatement urlHashes,
      PreparedStatement deleteUrl,
      PreparedStatement takedownIds,
      PreparedStatement imageIds) {}

  /** A summary and when it was read ({@link System#nanoTime}). */
  private record Cached(Summary summary, long readAt) {}

  private final Cache<String, Cached> cache;
  private final long refreshAfterNanos;

  /** Ids being read again in the background, so that a popular page is read once, not per hit. */
  private final Set<String> refreshing = ConcurrentHashMap.newKeySet();

  /** One thread re-reads stale metadata; when it falls behind, stale entries wait for max age. */
  private final ThreadPoolExecutor refresher;

  /** After a failed background read, none is tried until then ({@link System#nanoTime}). */
  private volatile long refreshPausedUntil = System.nanoTime();

  /** Runs between a background read and its use; tests hold it to race a takedown against it. */
  volatile Runnable afterBackgroundRead = () -> {};

  /** Runs between a foreground read and its use, as {@link #afterBackgroundRead}. */
  volatile Runnable afterForegroundRead = () -> {};

  /**
   * Images taken down through this replica in the last 10 minutes. A read that began before the
   * takedown deleted the rows and ended after it dropped the image from the cache put the image
   * back (until 2026-12-06): it was then shown for up to {@code serving.metadata-cache}, and on
   * quality-sorted pages, which come from a snapshot of hits, nothing else removed it.
   */
  private final Cache<String, Boolean> takenDown =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(10)).maximumSize(100_000).build();

  /**
   * @param cacheFor how long a result's metadata is reused before it is read again (titles, sources
   *     and quality change while an image lives); zero reads it for every page
   * @param maxAge metadata older than {@code cacheFor} is still used while a background read
   *     replaces it, up to this age; older, it is read before answering
   */
  Catalog(Stores stores, Duration cacheFor, Duration maxAge) {
    this.stores = stores;
    this.refreshAfterNanos = cacheFor.toNanos();
    if (cacheFor.isZero()) {
      this.cache = null;
      this.refresher = null;
    } else {
      this.cache =
          Caffeine.newBuilder()
              .maximumSize(200_000)
              .expireAfterWrite(maxAge.compareTo(cacheFor) < 0 ? cacheFor : maxAge)
              .build();
      this.refresher =
          new ThreadPoolExecutor(
              1,
              1,
              0,
              TimeUnit.SECONDS,
              new ArrayBlockingQueue<>(64),
              r -> {
                Thread t = new Thread(r, "metadata-refresh");
                t.setDaemon(true);
                return t;
              });
    }
  }

  /**
   * Summaries of the images that exist, by id. Fresh cached ones are used as they are; missing ones
   * are read now; stale ones (older than the cache time, younger than the max age) are used once
   * more and read again in the background, so a popular page never waits for Cassandra.
   */
  Map<String, Summary> summaries(Collection<String> ids) {
    Map<String, Summary> out = cached(ids);
    out.keySet().removeIf(id -> takenDown.getIfPresent(id) != null);
    return out;
  }

  private Map<String, Summary> cached(Collection<String> ids) {
    if (cache == null) {
      Map<String, Summary> read = new HashMap<>(read(ids));
      afterForegroundRead.run();
      return read;
    }
    Map<String, Summary> out = new HashMap<>();
    List<String> missing = new ArrayList<>();
    List<String> stale = new ArrayList<>();
    long now = System.nanoTime();
    for (String id : ids) {
      Cached c = cache.getIfPresent(id);
      if (c == null) {
        missing.add(id);
        continue;
      }
      out.put(id, c.summary());
      if (now - c.readAt() > refreshAfterNanos
          && now - refreshPausedUntil >= 0
          && refreshing.add(id)) {
        stale.add(id);
      }
    }
    if (!stale.isEmpty()) {
      refreshLater(stale);
    }
    if (!missing.isEmpty()) {
      Map<String, Summary> read = read(missing);
      afterForegroundRead.run();
      for (var e : read.entrySet()) {
        cache.put(e.getKey(), new Cached(e.getValue(), now));
        // After the put: a takedown marks the image before it drops it from the cache, so a
        // put that raced it is either dropped by it or seen here.
        if (takenDown.getIfPresent(e.getKey()) != null) {
          cache.invalidate(e.getKey());
        }
      }
      out.putAll(read);
    }
    return out;
  }

  private void refreshLater(List<String> ids) {
    Runnable refresh =
        () -> {
          try {
            long readAt = System.nanoTime();
            Map<String, Summary> read = read(ids);
            afterBackgroundRead.run();
            for (String id : ids) {
              Summary fresh = read.get(id);
              // Only replace what is still cached: a takedown (forget) while this read ran must
              // not bring the image's metadata back.
              cache
                  .asMap()
                  .computeIfPresent(
                      id, (k, old) -> fresh == null ? null : new Cached(fresh, readAt));
            }
          } catch (RuntimeException e) {
            // Cassandra is away: keep serving what is cached (up to its max age) and do not
            // queue a read per request meanwhile; one warning per pause.
            refreshPausedUntil = System.nanoTime() + REFRESH_PAUSE.toNanos();
            LOG.warn(
                "re-reading the metadata of {} images failed, next try in {} s: {}",
                ids.size(),
                REFRESH_PAUSE.toSeconds(),
                e.toString());
          } finally {
            ids.forEach(refreshing::remove);
          }
        };
    try {
      refresher.execute(refresh);
    } catch (RejectedExecutionException e) {
      // Closed, or 64 pages behind: the entries stay as they are until a later page (or their
      // max age) reads them again.
      ids.forEach(refreshing::remove);
    }
  }

  /** Whether a background read of {@code id} is queued or running. */
  boolean refreshing(String id) {
    return refreshing.contains(id);
  }

  /** Whether this replica took {@code id} down in the last ten minutes. */
  boolean takenDown(String id) {
    return takenDown.getIfPresent(id) != null;
  }

  /** A takedown: the image is left out of every answer from now on, and dropped from the cache. */
  void forget(String id) {
    takenDown.put(id, Boolean.TRUE);
    if (cache != null) {
      cache.invalidate(id);
    }
  }

  void close() {
    if (refresher != null) {
      refresher.shutdownNow();
    }
  }

  private Statements statements(CqlSession s) {
    Statements st = statements;
    if (st == null) {
      st =
          new Statements(
              s.prepare(
                  "SELECT id, width, height, titles, sources, quality, first_seen, first_url"
                      + " FROM images WHERE id IN ?"),
              s.prepare(
                  "SELECT image_id, size, width, height FROM image_thumbnails WHERE image_id IN ?"),
              s.prepare(
                  "SELECT url, source, title, page, first_seen FROM image_urls WHERE image_id = ?"
                      + " LIMIT ?"),
              s.prepare("SELECT * FROM images WHERE id = ?"),
              s.prepare(
                  "SELECT format, data FROM image_thumbnails WHERE image_id = ? AND size = ?"),
              s.prepare(
                  "INSERT INTO takedowns (sha256, image_id, phash, reason, taken_down_at)"
                      + " VALUES (?, ?, ?, ?, ?)"),
              s.prepare(
                  "INSERT INTO takedowns_by_image (image_id, sha256, taken_down_at)"
                      + " VALUES (?, ?, ?)"),
              s.prepare("DELETE FROM images WHERE id = ?"),
              s.prepare("DELETE FROM image_thumbnails WHERE image_id = ?"),
              s.prepare("SELECT url_hash FROM image_urls WHERE image_id = ?"),
              s.prepare("DELETE FROM image_urls WHERE url_hash = ? IF image_id = ?"),
              s.prepare("SELECT image_id FROM takedowns_by_image"),
              s.prepare("SELECT id FROM images WHERE id IN ?"));
      statements = st;
    }
    return st;
  }

  /** Summaries of the images that exist, by id, read from Cassandra in one query. */
  private Map<String, Summary> read(Collection<String> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    return stores.cassandra(
        s -> {
          Statements st = statements(s);
          List<Row> rows = all(s.executeAsync(st.summaries().bind(List.copyOf(ids)))).join();
          // Rows written before first_url existed: their URLs from the index, all at once.
          Map<String, CompletableFuture<List<Row>>> urls = new HashMap<>();
          for (Row r : rows) {
            if (r.isNull("first_url")) {
              String id = r.getString("id");
              urls.put(id, all(s.executeAsync(st.urls().bind(id, URLS_PER_RESULT))));
            }
          }
          Map<String, Summary> out = new HashMap<>();
          for (Row r : rows) {
            String id = r.getString("id");
            if (r.isNull("width")) {
              continue; // a merge wrote titles before the image itself: not complete yet
            }
            List<String> urlList = new ArrayList<>();
            if (!r.isNull("first_url")) {
              urlList.add(r.getString("first_url"));
            } else {
              for (Row u : urls.get(id).join()) {
                urlList.add(u.getString("url"));
              }
            }
            out.put(id, summary(r, thumbs(r.getInt("width"), r.getInt("height")), urlList));
          }
          return out;
        });
  }

  Optional<Detail> detail(String id) {
    return stores.cassandra(
        s -> {
          Statements st = statements(s);
          Row r = s.execute(st.detail().bind(id)).one();
          if (r == null || r.isNull("width")) {
            return Optional.empty();
          }
          Map<String, Thumb> thumbs = new LinkedHashMap<>();
          for (Row t : s.execute(st.thumbs().bind(List.of(id)))) {
            thumbs.put(t.getString("size"), new Thumb(t.getInt("width"), t.getInt("height")));
          }
          List<UrlSeen> urls = new ArrayList<>();
          for (Row u : s.execute(st.urls().bind(id, MAX_URLS))) {
            urls.add(
                new UrlSeen(
                    u.getString("url"),
                    u.getString("source"),
                    u.getString("title"),
                    u.getString("page"),
                    u.getInstant("first_seen")));
          }
          Summary summary =
              summary(r, thumbs, urls.stream().limit(URLS_PER_RESULT).map(UrlSeen::url).toList());
          return Optional.of(
              new Detail(
                  summary,
                  r.getString("sha256"),
                  r.getLong("phash"),
                  r.getString("format"),
                  r.getLong("byte_size"),
                  r.getInstant("last_seen"),
                  r.getString("quality_version"),
                  urls));
        });
  }

  Optional<Thumbnail> thumbnail(String id, String size) {
    return stores.cassandra(
        s -> {
          Row r = s.execute(statements(s).thumbnail().bind(id, size)).one();
          if (r == null) {
            return Optional.empty();
          }
          ByteBuffer data = r.getByteBuffer("data");
          byte[] bytes = new byte[data.remaining()];
          data.get(bytes);
          return Optional.of(new Thumbnail(r.getString("format"), bytes));
        });
  }

  /**
   * Records a takedown in {@code takedowns} (by SHA-256: the ingest job's refusal survives its
   * state) and {@code takedowns_by_image} (by id: the job's index sink checks it when it commits),
   * in one logged batch. Done before anything is deleted, so that a commit of the ingest job either
   * sees the record and removes what it wrote, or wrote before it and is removed by the deletes.
   */
  void recordTakedown(Detail d, String reason, Instant at) {
    stores.cassandra(
        s -> {
          Statements st = statements(s);
          String id = d.summary().id();
          s.execute(
              BatchStatement.newInstance(
                  BatchType.LOGGED,
                  st.insertTakedown().bind(d.sha256(), id, d.phash(), reason, at),
                  st.insertTakedownId().bind(id, d.sha256(), at)));
          return null;
        });
  }

  /**
   * Every image id with a takedown on record ({@code takedowns_by_image}, read whole, page by
   * page).
   */
  List<String> takedownIds() {
    return stores.cassandra(
        s -> {
          List<String> ids = new ArrayList<>();
          for (Row r : s.execute(statements(s).takedownIds().bind())) {
            ids.add(r.getString("image_id"));
          }
          return ids;
        });
  }

  /** Ids at a time in {@link #withImageRow}'s reads, and reads in flight at once. */
  static final int IDS_PER_READ = 100;

  static final int READS_AT_ONCE = 4;

  /** Which of {@code ids} still have an image row, complete or not. */
  Set<String> withImageRow(Collection<String> ids) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    return stores.cassandra(
        s -> {
          Statements st = statements(s);
          List<String> all = List.copyOf(ids);
          Set<String> out = new java.util.HashSet<>();
          // READS_AT_ONCE reads in flight at most: this shares the session with searches, and
          // takedowns only grow.
          int step = IDS_PER_READ * READS_AT_ONCE;
          for (int from = 0; from < all.size(); from += step) {
            List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
            for (int i = from; i < Math.min(all.size(), from + step); i += IDS_PER_READ) {
              List<String> chunk = all.subList(i, Math.min(all.size(), i + IDS_PER_READ));
              reads.add(all(s.executeAsync(st.imageIds().bind(chunk))));
            }
            for (var read : reads) {
              read.join().forEach(r -> out.add(r.getString("id")));
            }
          }
          return out;
        });
  }

  /** Conditional deletes of a taken-down image's URL rows in flight at once. */
  static final int URL_DELETES_AT_ONCE = 64;

  /** Deletes a taken-down image's rows: its URLs, its thumbnails, and its image row last. */
  void deleteRows(String id) {
    stores.cassandra(
        s -> {
          Statements st = statements(s);
          // One conditional delete per URL, URL_DELETES_AT_ONCE at a time. Until 2026-12-07 they
          // went as one unlogged batch: past some 500 URLs (a meme reposted that often) Cassandra
          // refused it as too large (batch_size_fail_threshold, 50 KiB), and the image could not
          // be taken down; and a URL listed since for another, live image lost its row.
          List<CompletableFuture<AsyncResultSet>> deletes = new ArrayList<>();
          for (Row r : s.execute(st.urlHashes().bind(id))) {
            deletes.add(
                s.executeAsync(st.deleteUrl().bind(r.getString("url_hash"), id))
                    .toCompletableFuture());
            if (deletes.size() == URL_DELETES_AT_ONCE) {
              deletes.forEach(CompletableFuture::join);
              deletes.clear();
            }
          }
          deletes.forEach(CompletableFuture::join);
          s.execute(st.deleteThumbs().bind(id));
          s.execute(st.deleteImage().bind(id));
          forget(id);
          return null;
        });
  }

  /**
   * The sizes of an image's thumbnails, computed as {@link Thumbnailer} computes them, so that a
   * page of results needs no read of the thumbnails table.
   */
  static Map<String, Thumb> thumbs(int width, int height) {
    Map<String, Thumb> out = new LinkedHashMap<>();
    for (Thumbnailer.Size size : Thumbnailer.SIZES) {
      int[] t = Thumbnailer.target(width, height, size.maxWidth());
      out.put(size.name(), new Thumb(t[0], t[1]));
    }
    return out;
  }

  private static Summary summary(Row r, Map<String, Thumb> thumbs, List<String> urls) {
    return new Summary(
        r.getString("id"),
        r.getInt("width"),
        r.getInt("height"),
        firstTitles(r.getSet("titles", String.class)),
        r.getSet("sources", String.class),
        r.isNull("quality") ? null : r.getFloat("quality"),
        r.getInstant("first_seen"),
        thumbs,
        urls);
  }

  /**
   * The titles a result shows: the ingest job keeps 50 per image since 2026-12-06, but a row
   * written before holds every repost's, thousands for a popular meme, which each result carried.
   */
  static final int TITLES_PER_RESULT = 50;

  private static Set<String> firstTitles(Set<String> titles) {
    if (titles.size() <= TITLES_PER_RESULT) {
      return titles;
    }
    Set<String> first = new java.util.LinkedHashSet<>();
    for (String t : titles) {
      if (first.size() == TITLES_PER_RESULT) {
        break;
      }
      first.add(t);
    }
    return first;
  }

  /** Every row of an async result, all pages. */
  private static CompletableFuture<List<Row>> all(CompletionStage<AsyncResultSet> stage) {
    List<Row> rows = new ArrayList<>();
    return collect(stage, rows).toCompletableFuture();
  }

  private static CompletionStage<List<Row>> collect(
      CompletionStage<AsyncResultSet> stage, List<Row> rows) {
    return stage.thenCompose(
        rs -> {
          rs.currentPage().forEach(rows::add);
          return rs.hasMorePages()
              ? collect(rs.fetchNextPage(), rows)
              : CompletableFuture.completedFuture(rows);
        });
  }
}
