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
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.MilvusCollection;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
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
  private final PreparedStatement storedQuality;
  private final String rejectsTopic;
  private final Gson gson = new Gson();

  /** Cassandra writes in flight at once: well under the driver's 1,024 per connection. */
  static final int MAX_IN_FLIGHT = 256;

  /** Runs between the writes and the second read of the takedowns; tests race a takedown there. */
  volatile Runnable afterStore = () -> {};

  /** Keys per {@code IN} when reading the takedown records. */
  static final int IN_CHUNK = 100;

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
                  + " last_seen = ?, first_url = ? WHERE id = ?");
      this.mergeImage =
          session.prepare(
              "UPDATE images SET titles = titles + ?, sources = sources + ?, last_seen = ?"
                  + " WHERE id = ?");
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
      this.deleteUrl = session.prepare("DELETE FROM image_urls WHERE url_hash = ?");
      this.storedQuality =
          session.prepare("SELECT id, quality, quality_version FROM images WHERE id IN ?");
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

  /** Writes the effects to Cassandra and Milvus. */
  private void store(List<IndexEffect> effects) {
    List<JsonObject> rows = new ArrayList<>();
    Map<String, IndexEffect> newest = new LinkedHashMap<>();
    List<CompletableFuture<?>> cql = new ArrayList<>();
    for (IndexEffect e : effects) {
      UrlInfo info = e.info();
      Instant seen = Instant.ofEpochMilli(info.discoveredAt());
      Set<String> titles = info.title() == null ? Set.of() : Set.of(info.title());
      // No batch across partitions: Cassandra refuses one over batch_size_fail_threshold (50 KiB
      // by default) on every retry, which would hold every commit after it, and it would not be
      // atomic anyway. The image's row and its thumbnails share one partition key (the image id)
      // in one keyspace, so Cassandra applies them as one mutation: one request, written
      // together, and never checked against that threshold (IndexWriterIT writes 72 KB of
      // thumbnails). The URL's row has a partition of its own. Each write is an idempotent
      // upsert, so a retried commit writes the same rows again.
      if (IndexEffect.NEW.equals(e.kind())) {
        Candidate c = e.image();
        BatchStatementBuilder image = BatchStatement.builder(DefaultBatchType.UNLOGGED);
        image.addStatement(
            upsertImage.bind(
                c.sha256(),
                c.phash(),
                c.width(),
                c.height(),
                c.format(),
                c.byteSize(),
                titles,
                Set.of(info.source()),
                seen,
                seen,
                info.url(),
                c.imageId()));
        for (Thumb t : c.thumbs()) {
          image.addStatement(
              insertThumb.bind(
                  c.imageId(),
                  t.size(),
                  t.format(),
                  t.width(),
                  t.height(),
                  ByteBuffer.wrap(t.data())));
        }
        submit(cql, image.setIdempotence(true).build());
        newest.put(c.imageId(), e);
      } else {
        submit(cql, mergeImage.bind(titles, Set.of(info.source()), seen, e.imageId()));
      }
      // A title or page the record lacks is left unset, not written as null: a URL listed again
      // without them (another source, a re-crawl) keeps what its first listing said.
      var url =
          insertUrl
              .boundStatementBuilder(
                  info.urlHash(),
                  info.url(),
                  e.imageId(),
                  info.source(),
                  info.title(),
                  info.page(),
                  seen)
              .setIdempotence(true);
      if (info.title() == null) {
        url.unset("title");
      }
      if (info.page() == null) {
        url.unset("page");
      }
      submit(cql, url.build());
    }
    Map<String, Float> kept = storedQualities(newest.values());
    for (IndexEffect e : newest.values()) {
      JsonObject row = new JsonObject();
      row.addProperty(MilvusCollection.ID, e.imageId());
      row.add(MilvusCollection.VECTOR, gson.toJsonTree(e.vector()));
      row.addProperty(
          MilvusCollection.QUALITY,
          e.quality() != null ? e.quality().overall() : kept.getOrDefault(e.imageId(), 0f));
      row.addProperty(MilvusCollection.SOURCE, e.info().source());
      row.addProperty(MilvusCollection.FIRST_SEEN, e.info().discoveredAt());
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

  /**
   * The stored quality of each unscored new image that has one: an image indexed before and met
   * again as new (by a job started without its state) while no model could score it. Milvus's row
   * is replaced whole, so without this its quality fell to 0 under Cassandra's unchanged version,
   * and the re-scoring job's catch-up pass, which goes by that version, would not repair it.
   */
  private Map<String, Float> storedQualities(java.util.Collection<IndexEffect> effects) {
    List<String> unscored = new ArrayList<>();
    for (IndexEffect e : effects) {
      if (e.quality() == null) {
        unscored.add(e.imageId());
      }
    }
    Map<String, Float> out = new java.util.HashMap<>();
    List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
    for (int from = 0; from < unscored.size(); from += IN_CHUNK) {
      reads.add(
          rows(storedQuality, unscored.subList(from, Math.min(from + IN_CHUNK, unscored.size()))));
    }
    for (CompletableFuture<List<Row>> r : reads) {
      for (Row row : r.join()) {
        if (row.getString("quality_version") != null && !row.isNull("quality")) {
          out.put(row.getString("id"), row.getFloat("quality"));
        }
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
   * leave a partial row), and the batch's URL rows. Each delete is idempotent.
   */
  private void undo(List<IndexEffect> effects, Set<String> ids) {
    milvus.delete(DeleteReq.builder().collectionName(collection).ids(new ArrayList<>(ids)).build());
    List<CompletableFuture<?>> cql = new ArrayList<>();
    for (IndexEffect e : effects) {
      if (ids.contains(e.imageId())) {
        submit(cql, deleteUrl.bind(e.info().urlHash()));
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
