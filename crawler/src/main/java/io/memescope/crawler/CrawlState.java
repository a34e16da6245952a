package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the crawlers remember across restarts, in Cassandra: each source's cursor ({@code
 * crawl_cursors}) and every URL hash already published ({@code crawl_seen_urls}).
 */
public final class CrawlState {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CrawlState.class);
  private final CqlSession session;
  private final PreparedStatement readCursor;
  private final PreparedStatement writeCursor;
  private final PreparedStatement deleteCursor;
  private final PreparedStatement readSeen;
  private final PreparedStatement writeSeen;

  /** {@code session} must be bound to Memescope's keyspace. */
  public CrawlState(CqlSession session) {
    this.session = session;
    this.readCursor =
        session.prepare("SELECT cursor, origin FROM crawl_cursors WHERE source_id = ?");
    this.writeCursor =
        session.prepare(
            "INSERT INTO crawl_cursors (source_id, cursor, origin, updated_at)"
                + " VALUES (?, ?, ?, ?)");
    this.deleteCursor = session.prepare("DELETE FROM crawl_cursors WHERE source_id = ?");
    this.readSeen = session.prepare("SELECT url_hash FROM crawl_seen_urls WHERE url_hash IN ?");
    this.writeSeen =
        session.prepare(
            "INSERT INTO crawl_seen_urls (url_hash, source, first_seen) VALUES (?, ?, ?)");
  }

  /**
   * The cursor saved for {@code source}, unless it was saved for another {@code origin} (the
   * source's type and location; null: any). A source whose id was kept while its type or location
   * changed read the other one's cursor until 2026-12-07: a dump failed on a list's cursor at every
   * pass, and a list moved to another file skipped as many lines of it. A cursor saved before
   * origins were kept is taken as it is.
   */
  public Optional<String> cursor(String source, String origin) {
    Row row = session.execute(readCursor.bind(source)).one();
    if (row == null) {
      return Optional.empty();
    }
    String savedFor = row.getString("origin");
    if (origin != null && savedFor != null && !savedFor.equals(origin)) {
      LOG.info(
          "{}: its cursor was saved for {}, the source is now {}: it starts over",
          source,
          savedFor,
          origin);
      return Optional.empty();
    }
    return Optional.ofNullable(row.getString("cursor"));
  }

  public void saveCursor(String source, Optional<String> cursor, Instant now) {
    saveCursor(source, cursor, null, now);
  }

  /** Saves (or, when empty, forgets) the cursor of {@code source}, as that of {@code origin}. */
  public void saveCursor(String source, Optional<String> cursor, String origin, Instant now) {
    if (cursor.isPresent()) {
      session.execute(writeCursor.bind(source, cursor.get(), origin, now));
    } else {
      session.execute(deleteCursor.bind(source));
    }
  }

  /** The hashes among {@code hashes} that were published before. */
  public Set<String> seen(List<String> hashes) {
    Set<String> seen = new HashSet<>();
    for (int from = 0; from < hashes.size(); from += 100) {
      List<String> chunk = hashes.subList(from, Math.min(from + 100, hashes.size()));
      session.execute(readSeen.bind(chunk)).forEach(row -> seen.add(row.getString("url_hash")));
    }
    return seen;
  }

  /** The most seen-marks in flight at once. */
  static final int IN_FLIGHT = 256;

  /**
   * Records {@code hashes} as published; the writes run concurrently, at most {@link #IN_FLIGHT} at
   * a time, and all must succeed. Unbounded, a page of more than about a thousand new URLs (a large
   * {@code crawler.page-size}, a page of many images) took more than the driver's 1,024 requests a
   * connection, and the rest failed at once (until 2026-12-07).
   */
  public void markSeen(List<String> hashes, String source, Instant now) {
    for (int from = 0; from < hashes.size(); from += IN_FLIGHT) {
      List<java.util.concurrent.CompletableFuture<?>> writes = new java.util.ArrayList<>();
      for (String hash : hashes.subList(from, Math.min(from + IN_FLIGHT, hashes.size()))) {
        writes.add(session.executeAsync(writeSeen.bind(hash, source, now)).toCompletableFuture());
      }
      java.util.concurrent.CompletableFuture.allOf(
              writes.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
          .join();
    }
  }
}
