package io.memescope.core.schema;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.memescope.core.config.CassandraSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Versioned CQL migrations: {@code V001.cql}, {@code V002.cql}, … on the classpath under {@code
 * io/memescope/core/schema/cassandra/}, applied in order, each exactly once, recorded with a
 * checksum in the keyspace's {@code schema_migrations} table. Editing a migration that was already
 * applied is an error: add a new one instead.
 */
public final class CassandraMigrations {
  static final String LOCATION = "/io/memescope/core/schema/cassandra/";

  /** One migration file. */
  public record Migration(int version, String description, String checksum, List<String> cql) {}

  private final CqlSession session;
  private final CassandraSettings settings;

  /** {@code session} must not be bound to a keyspace; the keyspace may not exist yet. */
  public CassandraMigrations(CqlSession session, CassandraSettings settings) {
    this.session = session;
    this.settings = settings;
  }

  /** Creates the keyspace if needed and applies pending migrations; returns what it applied. */
  public List<String> apply() {
    createKeyspace();
    execute(
        "CREATE TABLE IF NOT EXISTS "
            + settings.keyspace()
            + ".schema_migrations (version int PRIMARY KEY, description text, checksum text,"
            + " applied_at timestamp)");
    List<String> applied = new ArrayList<>();
    for (Migration migration : available()) {
      Optional<String> recorded = recordedChecksum(migration.version());
      if (recorded.isEmpty()) {
        run(migration);
        applied.add(
            "applied CQL migration V%03d (%s)"
                .formatted(migration.version(), migration.description()));
      } else if (!recorded.get().equals(migration.checksum())) {
        throw new SchemaException(
            "CQL migration V%03d.cql was changed after it was applied to keyspace %s (checksum %s, recorded %s); add a new migration instead of editing an applied one"
                .formatted(
                    migration.version(),
                    settings.keyspace(),
                    migration.checksum(),
                    recorded.get()));
      }
    }
    return applied;
  }

  /** Migrations on the classpath, in version order, stopping at the first missing number. */
  public static List<Migration> available() {
    List<Migration> migrations = new ArrayList<>();
    for (int version = 1; ; version++) {
      String name = LOCATION + "V%03d.cql".formatted(version);
      try (InputStream in = CassandraMigrations.class.getResourceAsStream(name)) {
        if (in == null) {
          return migrations;
        }
        migrations.add(parse(version, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new SchemaException("cannot read CQL migration " + name, e);
      }
    }
  }

  static Migration parse(int version, String text) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    String description = "";
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("--")) {
        if (description.isEmpty()) {
          description = trimmed.substring(2).strip();
        }
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        String statement = current.toString().strip();
        statements.add(statement.substring(0, statement.length() - 1));
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      throw new SchemaException(
          "CQL migration V%03d.cql ends with a statement that has no ';'".formatted(version));
    }
    return new Migration(version, description, sha256(text), List.copyOf(statements));
  }

  private void createKeyspace() {
    execute(
        "CREATE KEYSPACE IF NOT EXISTS "
            + settings.keyspace()
            + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
            + settings.replicationFactor()
            + "}");
  }

  private Optional<String> recordedChecksum(int version) {
    Row row =
        session
            .execute(
                SimpleStatement.newInstance(
                        "SELECT checksum FROM "
                            + settings.keyspace()
                            + ".schema_migrations WHERE version = ?",
                        version)
                    .setTimeout(settings.requestTimeout()))
            .one();
    return row == null ? Optional.empty() : Optional.of(row.getString("checksum"));
  }

  private void run(Migration migration) {
    // Migrations name tables without a keyspace: the keyspace is configuration.
    CqlIdentifier keyspace = CqlIdentifier.fromCql(settings.keyspace());
    for (String cql : migration.cql()) {
      if (addsExistingColumn(cql)) {
        continue;
      }
      execute(SimpleStatement.newInstance(cql).setKeyspace(keyspace));
    }
    session.execute(
        SimpleStatement.newInstance(
                "INSERT INTO "
                    + settings.keyspace()
                    + ".schema_migrations (version, description, checksum, applied_at)"
                    + " VALUES (?, ?, ?, ?)",
                migration.version(),
                migration.description(),
                migration.checksum(),
                Instant.now())
            .setTimeout(settings.requestTimeout()));
  }

  private static final java.util.regex.Pattern ADD_COLUMN =
      java.util.regex.Pattern.compile(
          "(?is)\\s*ALTER\\s+TABLE\\s+(\\w+)\\s+ADD\\s+(?!IF\\s)(\\w+)\\s.*");

  /**
   * Whether {@code cql} adds a column that the table has already: a migration applied whose record
   * was never written (a client timeout on a schema change the server made, a crash between the
   * two) runs again, and unlike the {@code CREATE ... IF NOT EXISTS}, an {@code ALTER TABLE ...
   * ADD} fails the second time. Until 2026-12-07 every later {@code up} failed on it.
   */
  private boolean addsExistingColumn(String cql) {
    java.util.regex.Matcher m = ADD_COLUMN.matcher(cql);
    if (!m.matches()) {
      return false;
    }
    return session
            .execute(
                SimpleStatement.newInstance(
                        "SELECT column_name FROM system_schema.columns WHERE keyspace_name = ?"
                            + " AND table_name = ? AND column_name = ?",
                        // Unquoted, as the migrations name them: stored in lower case.
                        settings.keyspace().toLowerCase(java.util.Locale.ROOT),
                        m.group(1).toLowerCase(java.util.Locale.ROOT),
                        m.group(2).toLowerCase(java.util.Locale.ROOT))
                    .setTimeout(settings.requestTimeout()))
            .one()
        != null;
  }

  private void execute(String cql) {
    execute(SimpleStatement.newInstance(cql));
  }

  private void execute(SimpleStatement statement) {
    try {
      session.execute(statement.setTimeout(settings.requestTimeout()));
    } catch (RuntimeException e) {
      throw new SchemaException(
          "Cassandra rejected: " + statement.getQuery() + ": " + e.getMessage(), e);
    }
  }

  private static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
