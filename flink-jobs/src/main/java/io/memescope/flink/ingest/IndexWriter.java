package io.memescope.flink.ingest;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.Json;
import io.memescope.core.records.UrlHash;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes {@link IndexEffect}s to the stores: Milvus (id, vector, quality, source, first seen),
 * Cassandra (the image's hashes, size, format, every URL, source and title seen, first and last
 * seen, thumbnails) and an event per effect on {@code memescope.ingest.indexed}. Every write is an
 * upsert by image id (sets only grow), so writing a batch twice leaves the stores as writing it
 * once: the {@link IndexSink}'s committer relies on that when it retries.
 */
final class IndexWriter implements AutoCloseable {
  private final CqlSession session;
  private final MilvusClientV2 milvus;
  private final String collection;
  private final KafkaProducer<String, byte[]> producer;
  private final String indexedTopic;
  private final PreparedStatement upsertImage;
  private final PreparedStatement mergeImage;
  private final PreparedStatement insertUrl;
  private final PreparedStatement insertThumb;
  private final PreparedStatement setQuality;
  private final PreparedStatement takenDownIds;
  private final PreparedStatement takenDownShas;
  private final PreparedStatement insertTakedownId;
  private final PreparedStatement deleteImage;
  private final PreparedStatement deleteThumbs;
  private final PreparedStatement deleteUrl;
  private final PreparedStatement storedImages;
  private final PreparedStatement storedUrls;
  private final PreparedStatement storedTitleCounts;
  private final PreparedStatement setLastSeen;
  private final String rejectsTopic;
  private final Gson gson = new Gson();

  /** Cassandra writes in flight at once: well under the driver's 1,024 per connection. */
  static final int MAX_IN_FLIGHT = 256;

  /** Runs between the writes and the second read of the takedowns; tests race a takedown there. */
  volatile Runnable afterStore = () -> {};

  /** Keys per {@code IN} when reading the takedown records. */
  static final int IN_CHUNK = 100;

  /**
   * An image keeps the titles of its first this many listings. A meme reposted thousands of times
   * under other titles grew one Cassandra set without limit (until 2026-12-06), which every search
   * result read and returned whole; each URL's own title stays in {@code image_urls}.
   */
  static final int MAX_TITLES = 50;

  IndexWriter(MemescopeConfig config) {
    // The committer builds a writer again on every retry: one that fails half-built (Milvus
    // unreachable, a prepare timing out) must not leave its sessions and producer threads behind.
    CqlSession s = null;
    MilvusClientV2 m = null;
    KafkaProducer<String, byte[]> pr = null;
    try {
      s = Clients.cassandraKeyspace(config.cassandra());
      m = Clients.milvus(config.milvus());
      Properties p = Clients.kafkaProducerProperties(config.kafka().bootstrapServers());
      p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      pr = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
      this.session = s;
      this.milvus = m;
      this.producer = pr;
      this.collection = config.milvus().collection();
      this.indexedTopic = config.kafka().topic("ingest-indexed").name();
      this.rejectsTopic = config.kafka().topic("ingest-rejects").name();
      this.upsertImage =
          session.prepare(
              "UPDATE images SET sha256 = ?, phash = ?, width = ?, height = ?, format = ?,"
                  + " byte_size = ?, titles = titles + ?, sources = sources + ?, first_seen = ?,"
                  + " first_url = ? WHERE id = ?");
      this.mergeImage =
          session.prepare(
              "UPDATE images SET titles = titles + ?, sources = sources + ? WHERE id = ?");
      // The latest sighting wins whatever order sightings are written in: the cell's write time
      // is the sighting's own (never later than now, so that a takedown's delete still removes it).
      this.setLastSeen =
          session.prepare("UPDATE images USING TIMESTAMP ? SET last_seen = ? WHERE id = ?");
      this.insertUrl =
          session.prepare(
              "INSERT INTO image_urls (url_hash, url, image_id, source, title, page, first_seen)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)");
      this.insertThumb =
          session.prepare(
              "INSERT INTO image_thumbnails (image_id, size, format, width, height, data)"
                  + " VALUES (?, ?, ?, ?, ?, ?)");
      this.setQuality =
          session.prepare(
              "UPDATE images SET quality = ?, quality_version = ?, quality_scores = ? WHERE id = ?");
      this.takenDownIds =
          session.prepare("SELECT image_id FROM takedowns_by_image WHERE image_id IN ?");
      this.takenDownShas =
          session.prepare(
              "SELECT image_id, sha256, taken_down_at FROM takedowns WHERE sha256 IN ?");
      this.insertTakedownId =
          session.prepare(
              "INSERT INTO takedowns_by_image (image_id, sha256, taken_down_at) VALUES (?, ?, ?)");
      this.deleteImage = session.prepare("DELETE FROM images WHERE id = ?");
      this.deleteThumbs = session.prepare("DELETE FROM image_thumbnails WHERE image_id = ?");
      // Only a row of the image taken down: the URL may be listed for another, live image (a
      // stale listing of it for the image taken down leaves that row as it is, UrlRow#next).
      this.deleteUrl = session.prepare("DELETE FROM image_urls WHERE url_hash = ? IF image_id = ?");
      this.storedImages =
          session.prepare(
              "SELECT id, quality, quality_version, first_seen, first_url FROM images"
                  + " WHERE id IN ?");
      this.storedTitleCounts =
          session.prepare(
              "SELECT id, collection_count(titles) AS titles FROM images WHERE id IN ?");
      this.storedUrls =
          session.prepare(
              "SELECT url_hash, image_id, source, title, page, first_seen FROM image_urls"
                  + " WHERE url_hash IN ?");
    } catch (RuntimeException e) {
      if (pr != null) {
        pr.close(java.time.Duration.ZERO);
      }
      if (m != null) {
        m.close();
      }
      if (s != null) {
        s.close();
      }
      throw e;
    }
  }

  /**
   * Writes every effect; returns only when all stores have acknowledged everything. Effects for an
   * image taken down through the serving API are not written, or are removed again, and go to the
   * rejects topic (stage {@code index}, reason {@code taken_down}) instead of the indexed one.
   *
   * <p>The de-duplicator refuses taken-down content from the moment it reads the takedown, but an
   * effect it decided earlier can still arrive here: a URL merged into the image a moment before
   * the takedown (committed a checkpoint interval later), a retried commit, or a job started
   * without state that reads crawl URLs before the takedowns topic. So the takedown records are
   * read before writing (skip) and again after (undo). The serving API records a takedown before it
   * deletes anything; a takedown the second read misses was therefore recorded after these writes
   * were acknowledged, and its deletes remove them. (Reads and writes are {@code LOCAL_QUORUM}, so
   * on a replicated cluster a read sees every write acknowledged before it.)
   *
   * @return the ids of the images whose effects were dropped for a takedown
   */
  Set<String> write(List<IndexEffect> effects) throws Exception {
    Set<String> dropped = takenDown(effects);
    List<IndexEffect> live = new ArrayList<>();
    for (IndexEffect e : effects) {
      if (!dropped.contains(e.imageId())) {
        live.add(e);
      }
    }
    store(live);
    afterStore.run();
    dropped.addAll(takenDown(live));
    if (!dropped.isEmpty()) {
      // Also for images dropped by the first read: an earlier attempt at this commit may have
      // written them before it failed, and the takedown was recorded before this retry.
      undo(effects, dropped);
    }
    List<Future<?>> sent = new ArrayList<>();
    for (IndexEffect e : effects) {
      if (dropped.contains(e.imageId())) {
        sent.add(producer.send(takenDownReject(e)));
      } else {
        sent.add(producer.send(indexedEvent(e)));
      }
    }
    producer.flush();
    for (Future<?> f : sent) {
      f.get();
    }
    return dropped;
  }

  /**
   * Writes the effects to Cassandra and Milvus. What a sighting says about time is kept as the
   * stores' readers expect, whatever order the sightings arrive in and however often a commit is
   * retried:
   *
   * <ul>
   *   <li>an image's {@code first_seen} and {@code first_url} are its earliest sighting's: an image
   *       met again as new (by a job started without its state) keeps the stored ones, in Cassandra
   *       and in Milvus, unless it is met earlier than stored;
   *   <li>its {@code last_seen} is its latest sighting's (the write carries the sighting's time);
   *   <li>a URL's row ({@code image_urls}) is its first listing's (source, title, page, first
   *       seen), filled in where the first lacked a title or page; a URL whose content changed
   *       (another image id, listed later) gets a new row ({@link UrlRow}).
   * </ul>
   *
   * The first and last are read before writing; two subtasks writing the same image at once could
   * both find nothing stored, but only the de-duplicator (one subtask) makes an image new.
   */
  private void store(List<IndexEffect> effects) {
    List<JsonObject> rows = new ArrayList<>();
    Map<String, IndexEffect> newest = new LinkedHashMap<>();
    for (IndexEffect e : effects) {
      if (IndexEffect.NEW.equals(e.kind())) {
        newest.put(e.imageId(), e);
      }
    }
    Map<String, Row> storedImageRow = byKey(storedImages, "id", newest.keySet()).join();
    Map<String, Integer> titleCounts = new HashMap<>();
    Set<String> merged = new LinkedHashSet<>();
    effects.stream()
        .filter(e -> !IndexEffect.NEW.equals(e.kind()) && e.info().title() != null)
        .forEach(e -> merged.add(e.imageId()));
    byKey(storedTitleCounts, "id", merged)
        .join()
        .forEach((id, row) -> titleCounts.put(id, row.isNull("titles") ? 0 : row.getInt("titles")));
    // The URLs' rows, and those of the stored first URLs, whose source Milvus keeps.
    Set<String> urlHashes = new LinkedHashSet<>();
    effects.forEach(e -> urlHashes.add(e.info().urlHash()));
    storedImageRow.values().stream()
        .map(r -> r.getString("first_url"))
        .filter(java.util.Objects::nonNull)
        .forEach(u -> urlHashes.add(UrlHash.of(u)));
    Map<String, Row> storedUrlRows = byKey(storedUrls, "url_hash", urlHashes).join();
    List<CompletableFuture<?>> cql = new ArrayList<>();
    Map<String, Long> lastSeen = new LinkedHashMap<>();
    Map<String, Long> firstSeen = new HashMap<>();
    Map<String, String> firstSource = new HashMap<>();
    Map<String, UrlRow> urls = new LinkedHashMap<>();
    for (IndexEffect e : effects) {
      UrlInfo info = e.info();
      Instant seen = Instant.ofEpochMilli(info.discoveredAt());
      Set<String> titles = info.title() == null ? Set.of() : Set.of(info.title());
      lastSeen.merge(e.imageId(), info.discoveredAt(), Math::max);
      urls.put(
          info.urlHash(),
          UrlRow.next(
              urls.getOrDefault(info.urlHash(), UrlRow.of(storedUrlRows.get(info.urlHash()))), e));
      // No batch across partitions: Cassandra refuses one over batch_size_fail_threshold (50 KiB
      // by default) on every retry, which would hold every commit after it, and it would not be
      // atomic anyway. The image's row and its thumbnails share one partition key (the image id)
      // in one keyspace, so Cassandra applies them as one mutation: one request, written
      // together, and never checked against that threshold (IndexWriterIT writes 72 KB of
      // thumbnails). The URL's row has a partition of its own. Each write is an idempotent
      // upsert, so a retried commit writes the same rows again.
      if (IndexEffect.NEW.equals(e.kind())) {
        Candidate c = e.image();
        Row stored = storedImageRow.get(c.imageId());
        Instant storedFirst = stored == null ? null : stored.getInstant("first_seen");
        boolean keepFirst = storedFirst != null && !storedFirst.isAfter(seen);
        firstSeen.put(c.imageId(), keepFirst ? storedFirst.toEpochMilli() : info.discoveredAt());
        firstSource.put(c.imageId(), keepFirst ? storedSource(stored, storedUrlRows) : null);
        var image =
            upsertImage.boundStatementBuilder(
                c.sha256(),
                c.phash(),
                c.width(),
                c.height(),
                c.format(),
                c.byteSize(),
                titles,
                Set.of(info.source()),
                seen,
                info.url(),
                c.imageId());
        if (keepFirst) {
          image.unset("first_seen").unset("first_url");
        }
        BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.UNLOGGED);
        batch.addStatement(image.build());
        for (Thumb t : c.thumbs()) {
          batch.addStatement(
              insertThumb.bind(
                  c.imageId(),
                  t.size(),
                  t.format(),
                  t.width(),
                  t.height(),
                  ByteBuffer.wrap(t.data())));
        }
        submit(cql, batch.setIdempotence(true).build());
      } else {
        if (!titles.isEmpty() && titleCounts.merge(e.imageId(), 1, Integer::sum) > MAX_TITLES) {
          titles = Set.of(); // enough titles; the URL's own stays in image_urls
        }
        submit(cql, mergeImage.bind(titles, Set.of(info.source()), e.imageId()));
      }
    }
    long nowMicros = Instant.now().toEpochMilli() * 1000;
    lastSeen.forEach(
        (id, millis) ->
            submit(
                cql,
                setLastSeen
                    .bind(Math.min(millis * 1000, nowMicros), Instant.ofEpochMilli(millis), id)
                    .setIdempotent(true)));
    urls.forEach(
        (hash, row) -> {
          if (row.changed()) {
            // A title or page the row lacks is left unset, not written as null.
            var url =
                insertUrl
                    .boundStatementBuilder(
                        hash,
                        row.url(),
                        row.imageId(),
                        row.source(),
                        row.title(),
                        row.page(),
                        row.firstSeen())
                    .setIdempotence(true);
            // Unless the URL now gives another image: the other image's must go.
            if (row.title() == null && !row.replacesAnother()) {
              url.unset("title");
            }
            if (row.page() == null && !row.replacesAnother()) {
              url.unset("page");
            }
            submit(cql, url.build());
          }
        });
    Map<String, Float> kept = storedQualities(newest.values(), storedImageRow);
    for (IndexEffect e : newest.values()) {
      JsonObject row = new JsonObject();
      row.addProperty(MilvusCollection.ID, e.imageId());
      row.add(MilvusCollection.VECTOR, gson.toJsonTree(e.vector()));
      row.addProperty(
          MilvusCollection.QUALITY,
          e.quality() != null ? e.quality().overall() : kept.getOrDefault(e.imageId(), 0f));
      String source = firstSource.get(e.imageId());
      row.addProperty(MilvusCollection.SOURCE, source != null ? source : e.info().source());
      row.addProperty(MilvusCollection.FIRST_SEEN, firstSeen.get(e.imageId()));
      rows.add(row);
    }
    for (int from = 0; from < rows.size(); from += 500) {
      milvus.upsert(
          UpsertReq.builder()
              .collectionName(collection)
              .data(rows.subList(from, Math.min(from + 500, rows.size())))
              .build());
    }
    // Cassandra's quality version only after Milvus's quality, as the re-scoring job writes them:
    // its catch-up pass finds stale images by Cassandra's version. Written with the image's row, a
    // commit racing the re-scoring job on an image already indexed could end with Cassandra on the
    // new version over Milvus's older score, which nothing would repair.
    for (IndexEffect e : newest.values()) {
      if (e.quality() != null) {
        submit(
            cql,
            setQuality.bind(
                e.quality().overall(), e.quality().version(), e.quality().scores(), e.imageId()));
      }
    }
    CompletableFuture.allOf(cql.toArray(new CompletableFuture<?>[0])).join();
  }

  /** The source of the stored image's first URL, from that URL's row; null if unknown. */
  private static String storedSource(Row image, Map<String, Row> urlRows) {
    String firstUrl = image.getString("first_url");
    Row url = firstUrl == null ? null : urlRows.get(UrlHash.of(firstUrl));
    return url == null || !image.getString("id").equals(url.getString("image_id"))
        ? null
        : url.getString("source");
  }

  /**
   * What a URL's row says, as stored or as this commit's listings leave it. A listing replaces the
   * row when the URL gives another image from a time after the row's, or gives the same image and
   * was listed earlier than the row says; otherwise the row stays its first listing's, with a
   * missing title or page filled in. A listing of another image from before the row's time (a stale
   * or replayed one) changes nothing.
   *
   * @param changed whether the row must be written
   * @param replacesAnother whether it replaces a stored row of another image, whose title and page
   *     must then be cleared, not left
   */
  record UrlRow(
      String url,
      String imageId,
      String source,
      String title,
      String page,
      Instant firstSeen,
      boolean changed,
      boolean replacesAnother) {
    static UrlRow of(Row stored) {
      return stored == null
          ? null
          : new UrlRow(
              null,
              stored.getString("image_id"),
              stored.getString("source"),
              stored.getString("title"),
              stored.getString("page"),
              stored.getInstant("first_seen"),
              false,
              false);
    }

    static UrlRow next(UrlRow row, IndexEffect e) {
      UrlInfo info = e.info();
      Instant seen = Instant.ofEpochMilli(info.discoveredAt());
      boolean sameImage = row != null && e.imageId().equals(row.imageId());
      boolean another = row != null && !sameImage && (row.replacesAnother() || !row.changed());
      if (row == null || row.firstSeen() == null) {
        return listing(info, e.imageId(), null, null, seen, another);
      }
      if (!sameImage) {
        return seen.isBefore(row.firstSeen())
            ? row
            : listing(info, e.imageId(), null, null, seen, another);
      }
      if (seen.isBefore(row.firstSeen())) {
        return listing(info, e.imageId(), row.title(), row.page(), seen, row.replacesAnother());
      }
      if ((row.title() == null && info.title() != null)
          || (row.page() == null && info.page() != null)) {
        return new UrlRow(
            info.url(),
            row.imageId(),
            row.source(),
            row.title() != null ? row.title() : info.title(),
            row.page() != null ? row.page() : info.page(),
            row.firstSeen(),
            true,
            row.replacesAnother());
      }
      return row;
    }

    /** The row of {@code info}'s listing, its missing title and page taken from the fallbacks. */
    private static UrlRow listing(
        UrlInfo info,
        String imageId,
        String fallbackTitle,
        String fallbackPage,
        Instant seen,
        boolean replacesAnother) {
      return new UrlRow(
          info.url(),
          imageId,
          info.source(),
          info.title() != null ? info.title() : fallbackTitle,
          info.page() != null ? info.page() : fallbackPage,
          seen,
          true,
          replacesAnother);
    }
  }

  /** The rows {@code select} finds for {@code keys}, by the text column {@code key}. */
  private CompletableFuture<Map<String, Row>> byKey(
      PreparedStatement select, String key, java.util.Collection<String> keys) {
    List<String> list = new ArrayList<>(keys);
    List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
    for (int from = 0; from < list.size(); from += IN_CHUNK) {
      reads.add(rows(select, list.subList(from, Math.min(from + IN_CHUNK, list.size()))));
    }
    return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            done -> {
              Map<String, Row> out = new HashMap<>();
              for (CompletableFuture<List<Row>> r : reads) {
                r.join().forEach(row -> out.put(row.getString(key), row));
              }
              return out;
            });
  }

  /**
   * The stored quality of each unscored new image that has one: an image indexed before and met
   * again as new (by a job started without its state) while no model could score it. Milvus's row
   * is replaced whole, so without this its quality fell to 0 under Cassandra's unchanged version,
   * and the re-scoring job's catch-up pass, which goes by that version, would not repair it.
   */
  private static Map<String, Float> storedQualities(
      java.util.Collection<IndexEffect> effects, Map<String, Row> stored) {
    Map<String, Float> out = new HashMap<>();
    for (IndexEffect e : effects) {
      Row row = stored.get(e.imageId());
      if (e.quality() == null
          && row != null
          && row.getString("quality_version") != null
          && !row.isNull("quality")) {
        out.put(e.imageId(), row.getFloat("quality"));
      }
    }
    return out;
  }

  /**
   * The ids of the effects' images that have been taken down: by id, and new ones by content. A
   * takedown found only by content (recorded before {@code takedowns_by_image} existed) is added
   * there, so that URLs merged into that id later are caught by id.
   */
  private Set<String> takenDown(List<IndexEffect> effects) {
    Set<String> ids = new LinkedHashSet<>();
    Set<String> shas = new LinkedHashSet<>();
    for (IndexEffect e : effects) {
      ids.add(e.imageId());
      if (IndexEffect.NEW.equals(e.kind())) {
        shas.add(e.image().sha256());
      }
    }
    List<CompletableFuture<List<Row>>> byId = new ArrayList<>();
    List<CompletableFuture<List<Row>>> bySha = new ArrayList<>();
    List<String> idList = new ArrayList<>(ids);
    List<String> shaList = new ArrayList<>(shas);
    for (int from = 0; from < idList.size(); from += IN_CHUNK) {
      byId.add(rows(takenDownIds, idList.subList(from, Math.min(from + IN_CHUNK, idList.size()))));
    }
    for (int from = 0; from < shaList.size(); from += IN_CHUNK) {
      bySha.add(
          rows(takenDownShas, shaList.subList(from, Math.min(from + IN_CHUNK, shaList.size()))));
    }
    Set<String> out = new LinkedHashSet<>();
    for (CompletableFuture<List<Row>> r : byId) {
      r.join().forEach(row -> out.add(row.getString("image_id")));
    }
    List<CompletableFuture<?>> backfill = new ArrayList<>();
    for (CompletableFuture<List<Row>> r : bySha) {
      for (Row row : r.join()) {
        String id = row.getString("image_id");
        // An id of the takedowns table is the image's own (the first 128 bits of its SHA-256).
        if (ids.contains(id) && out.add(id)) {
          submit(
              backfill,
              insertTakedownId.bind(id, row.getString("sha256"), row.getInstant("taken_down_at")));
        }
      }
    }
    CompletableFuture.allOf(backfill.toArray(new CompletableFuture<?>[0])).join();
    out.retainAll(ids);
    return out;
  }

  /** The rows {@code select} finds for {@code keys}, every page. */
  private CompletableFuture<List<Row>> rows(PreparedStatement select, List<String> keys) {
    return session
        .executeAsync(select.bind(List.copyOf(keys)))
        .toCompletableFuture()
        .thenCompose(rs -> collect(rs, new ArrayList<>()));
  }

  private static CompletableFuture<List<Row>> collect(AsyncResultSet rs, List<Row> into) {
    for (Row row : rs.currentPage()) {
      into.add(row);
    }
    if (rs.hasMorePages()) {
      return rs.fetchNextPage().toCompletableFuture().thenCompose(next -> collect(next, into));
    }
    return CompletableFuture.completedFuture(into);
  }

  /**
   * Removes whatever was written for these taken-down images, by this attempt or an earlier attempt
   * at the same commit: the vector, the image row and thumbnails (a merge's update would otherwise
   * leave a partial row), and the batch's URL rows where they name a taken-down image (until
   * 2026-12-07 by URL alone, which deleted the row of another, live image that a stale listing for
   * the taken-down one had left alone). Each delete is idempotent.
   */
  private void undo(List<IndexEffect> effects, Set<String> ids) {
    milvus.delete(DeleteReq.builder().collectionName(collection).ids(new ArrayList<>(ids)).build());
    List<CompletableFuture<?>> cql = new ArrayList<>();
    for (IndexEffect e : effects) {
      if (ids.contains(e.imageId())) {
        submit(cql, deleteUrl.bind(e.info().urlHash(), e.imageId()));
      }
    }
    for (String id : ids) {
      submit(cql, deleteThumbs.bind(id));
      submit(cql, deleteImage.bind(id));
    }
    CompletableFuture.allOf(cql.toArray(new CompletableFuture<?>[0])).join();
  }

  private ProducerRecord<String, byte[]> indexedEvent(IndexEffect e) throws Exception {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("v", 1);
    event.put("kind", e.kind());
    event.put("imageId", e.imageId());
    event.put("url", e.info().url());
    event.put("urlHash", e.info().urlHash());
    event.put("source", e.info().source());
    if (!IndexEffect.NEW.equals(e.kind())) {
      event.put("distance", e.distance());
    } else if (e.quality() != null) {
      event.put("quality", e.quality().overall());
      event.put("qualityVersion", e.quality().version());
    }
    return new ProducerRecord<>(indexedTopic, e.imageId(), Json.mapper().writeValueAsBytes(event));
  }

  private ProducerRecord<String, byte[]> takenDownReject(IndexEffect e) {
    Rejection r =
        Rejection.of(
            e.info(),
            "index",
            "taken_down",
            "image " + e.imageId() + " was taken down before this " + e.kind() + " was written");
    return new ProducerRecord<>(rejectsTopic, r.urlHash(), Json.write(r));
  }

  /** Sends one statement, waiting first for those in flight when there are too many. */
  private void submit(List<CompletableFuture<?>> cql, Statement<?> statement) {
    if (cql.size() >= MAX_IN_FLIGHT) {
      // More at once than the driver's connection takes fails with "no connection available".
      CompletableFuture.allOf(cql.toArray(new CompletableFuture<?>[0])).join();
      cql.clear();
    }
    cql.add(session.executeAsync(statement).toCompletableFuture());
  }

  @Override
  public void close() {
    producer.close();
    session.close();
    milvus.close();
  }
}
