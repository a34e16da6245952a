package io.memescope.crawler;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.memescope.core.config.CrawlerSettings;
import io.memescope.core.config.CrawlerSettings.SourceSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The crawl sources: those of the config file ({@code crawler.sources}) and those added at run
 * time, kept in Cassandra ({@code crawl_sources}). Ids are unique across both; a configured source
 * can only be changed in the config file.
 */
public final class SourceRegistry {
  /** A source and where it is defined. */
  public record Entry(SourceSpec spec, boolean configured, Optional<Instant> addedAt) {}

  private final CrawlerSettings settings;
  private final CqlSession session;
  private final PreparedStatement insert;
  private final PreparedStatement delete;
  private final PreparedStatement deleteCursor;

  /** {@code session} must be bound to Memescope's keyspace. */
  public SourceRegistry(CrawlerSettings settings, CqlSession session) {
    this.settings = settings;
    this.session = session;
    this.insert =
        session.prepare(
            "INSERT INTO crawl_sources (id, type, location, allow_nsfw, allow_private_hosts, depth,"
                + " max_pages, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS");
    this.delete = session.prepare("DELETE FROM crawl_sources WHERE id = ? IF EXISTS");
    this.deleteCursor = session.prepare("DELETE FROM crawl_cursors WHERE source_id = ?");
  }

  /** Every source, configured ones first, then added ones by id. */
  public List<Entry> list() {
    Map<String, Entry> all = new LinkedHashMap<>();
    settings.sources().forEach(s -> all.put(s.id(), new Entry(s, true, Optional.empty())));
    List<Entry> added = new ArrayList<>();
    for (Row row : session.execute("SELECT * FROM crawl_sources")) {
      SourceSpec spec =
          new SourceSpec(
              row.getString("id"),
              row.getString("type"),
              row.getString("location"),
              row.getBoolean("allow_nsfw"),
              row.getSet("allow_private_hosts", String.class),
              row.getInt("depth"),
              row.getInt("max_pages"));
      if (!all.containsKey(spec.id())) {
        added.add(new Entry(spec, false, Optional.ofNullable(row.getInstant("added_at"))));
      }
    }
    added.sort(Comparator.comparing(e -> e.spec().id()));
    added.forEach(e -> all.put(e.spec().id(), e));
    return List.copyOf(all.values());
  }

  /** The source {@code id}, configured or added. */
  public Optional<SourceSpec> find(String id) {
    return list().stream().map(Entry::spec).filter(s -> s.id().equals(id)).findFirst();
  }

  /**
   * Adds {@code spec}; an {@link IllegalArgumentException} says why it cannot be (invalid, or the
   * id is taken).
   */
  public void add(SourceSpec spec, Instant now) {
    List<String> problems = spec.problems();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid source: " + String.join("; ", problems));
    }
    if (settings.sources().stream().anyMatch(s -> s.id().equals(spec.id()))) {
      throw new IllegalArgumentException(
          "source '" + spec.id() + "' is defined in the config file (crawler.sources)");
    }
    boolean applied =
        session
            .execute(
                insert.bind(
                    spec.id(),
                    spec.type(),
                    spec.location(),
                    spec.allowNsfw(),
                    Set.copyOf(spec.allowPrivateHosts()),
                    spec.depth(),
                    spec.maxPages(),
                    now))
            .wasApplied();
    if (!applied) {
      throw new IllegalArgumentException(
          "source '" + spec.id() + "' exists already; remove it first to change it");
    }
  }

  /**
   * Removes the added source {@code id} and its cursor; the URLs it published stay remembered, so
   * adding it again publishes only what is new.
   */
  public void remove(String id) {
    if (settings.sources().stream().anyMatch(s -> s.id().equals(id))) {
      throw new IllegalArgumentException(
          "source '" + id + "' is defined in the config file; remove it there");
    }
    if (!session.execute(delete.bind(id)).wasApplied()) {
      throw new IllegalArgumentException("no source '" + id + "'");
    }
    session.execute(deleteCursor.bind(id));
  }
}
