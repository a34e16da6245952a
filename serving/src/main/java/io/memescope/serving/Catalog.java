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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Image metadata, URLs, thumbnails and takedowns in Cassandra, as serving reads and writes them.
 */
final class Catalog {
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
      PreparedStatement deleteImage,
      PreparedStatement deleteThumbs,
      PreparedStatement urlHashes,
      PreparedStatement deleteUrl) {}

  private final Cache<String, Summary> cache;

  /**
   * @param cacheFor how long a result's metadata is reused before it is read again (titles, sources
   *     and quality change while an image lives); zero reads it for every page
   */
  Catalog(Stores stores, Duration cacheFor) {
    this.stores = stores;
    this.cache =
        cacheFor.isZero()
            ? null
            : Caffeine.newBuilder().maximumSize(200_000).expireAfterWrite(cacheFor).build();
  }

  /** Summaries of the images that exist, by id, from the cache where they are fresh. */
  Map<String, Summary> summaries(Collection<String> ids) {
    if (cache == null) {
      return read(ids);
    }
    Map<String, Summary> out = new HashMap<>(cache.getAllPresent(ids));
    if (out.size() < ids.size()) {
      List<String> missing = ids.stream().filter(id -> !out.containsKey(id)).toList();
      Map<String, Summary> read = read(missing);
      cache.putAll(read);
      out.putAll(read);
    }
    return out;
  }

  void forget(String id) {
    if (cache != null) {
      cache.invalidate(id);
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
              s.prepare("DELETE FROM images WHERE id = ?"),
              s.prepare("DELETE FROM image_thumbnails WHERE image_id = ?"),
              s.prepare("SELECT url_hash FROM image_urls WHERE image_id = ?"),
              s.prepare("DELETE FROM image_urls WHERE url_hash = ?"));
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
   * Records the takedown first (so that a crash half-way still blocks the content), then deletes
   * the image's rows: the image, its thumbnails, and every URL row that points at it.
   */
  void takedown(Detail d, String reason, Instant at) {
    stores.cassandra(
        s -> {
          Statements st = statements(s);
          String id = d.summary().id();
          s.execute(st.insertTakedown().bind(d.sha256(), id, d.phash(), reason, at));
          List<String> hashes = new ArrayList<>();
          for (Row r : s.execute(st.urlHashes().bind(id))) {
            hashes.add(r.getString("url_hash"));
          }
          BatchStatement batch = BatchStatement.newInstance(BatchType.UNLOGGED);
          for (String h : hashes) {
            batch = batch.add(st.deleteUrl().bind(h));
          }
          if (!hashes.isEmpty()) {
            s.execute(batch);
          }
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
        r.getSet("titles", String.class),
        r.getSet("sources", String.class),
        r.isNull("quality") ? null : r.getFloat("quality"),
        r.getInstant("first_seen"),
        thumbs,
        urls);
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
