package io.memescope.core.quality;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.core.type.TypeReference;
import io.memescope.core.records.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The quality model registry: every published version of the quality model, with its parameters, in
 * Cassandra's {@code quality_models} (migration V007). The ingest job, the re-scoring job and
 * serving all load a version from here by name; the compacted {@code memescope.models} topic only
 * says which name is current.
 */
public final class QualityRegistry {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /**
   * One version.
   *
   * @param params the ensemble's parameters as {@link QualityModel#save()} wrote them
   * @param quantiles the raw score distribution over the corpus it was published for
   * @param metrics held-out figures of its training run (accuracy, log loss, calibration error)
   * @param report the training run's JSON report
   */
  public record Entry(
      String version,
      Instant createdAt,
      QualitySpec spec,
      byte[] params,
      ScoreQuantiles quantiles,
      Map<String, Double> metrics,
      int trainingPairs,
      String report) {

    /** The same version, stamped {@code at} (published again). */
    public Entry stampedAt(Instant at) {
      return new Entry(version, at, spec, params, quantiles, metrics, trainingPairs, report);
    }

    /** What the models topic says about this version, on its first publication. */
    public ModelVersion announcement() {
      return announcement(null);
    }

    /**
     * What the models topic says about this version, published again after it was stamped {@code
     * previouslyStamped} (null: never published before).
     */
    public ModelVersion announcement(Instant previouslyStamped) {
      return new ModelVersion(
          ModelVersion.FORMAT,
          version,
          createdAt,
          spec.dimensions(),
          spec.members(),
          trainingPairs,
          metrics,
          previouslyStamped);
    }
  }

  private final CqlSession session;
  private final PreparedStatement insert;
  private final PreparedStatement select;

  public QualityRegistry(CqlSession session) {
    this.session = session;
    this.insert =
        session.prepare(
            "INSERT INTO quality_models (version, created_at, spec, params, quantiles, metrics,"
                + " training_pairs, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.select = session.prepare("SELECT * FROM quality_models WHERE version = ?");
  }

  /** A new, time-ordered version name: {@code q-20261124T011500Z-3f2a}. */
  public static String newVersion(Instant at) {
    byte[] suffix = new byte[2];
    ThreadLocalRandom.current().nextBytes(suffix);
    return "q-" + STAMP.format(at) + "-" + HexFormat.of().formatHex(suffix);
  }

  /**
   * When a version named by {@link #newVersion} was trained (its name's time, to the second); empty
   * for a name of another form.
   */
  public static Optional<Instant> trainedAt(String version) {
    java.util.regex.Matcher m = NAME.matcher(version);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.from(STAMP.parse(m.group(1))));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("q-(\\d{8}T\\d{6}Z)-[0-9a-f]+");

  public void save(Entry e) {
    session.execute(
        insert.bind(
            e.version(),
            e.createdAt(),
            new String(Json.write(e.spec()), java.nio.charset.StandardCharsets.UTF_8),
            ByteBuffer.wrap(e.params()),
            new String(Json.write(e.quantiles()), java.nio.charset.StandardCharsets.UTF_8),
            new String(Json.write(e.metrics()), java.nio.charset.StandardCharsets.UTF_8),
            e.trainingPairs(),
            e.report()));
  }

  public Optional<Entry> get(String version) {
    Row r = session.execute(select.bind(version)).one();
    return r == null ? Optional.empty() : Optional.of(entry(r, true));
  }

  /** Every version without its parameters, newest first; fails on a row it cannot read. */
  public List<Entry> versions() {
    Listing all = list();
    if (!all.unreadable().isEmpty()) {
      var first = all.unreadable().entrySet().iterator().next();
      throw new UncheckedIOException(
          "quality model " + first.getKey() + " in the registry is unreadable",
          new IOException(first.getValue()));
    }
    return all.versions();
  }

  /**
   * The registry as {@link #list()} reads it.
   *
   * @param versions the rows it could read, without their parameters, newest first
   * @param unreadable version → why, for rows whose metadata cannot be parsed or that have no time
   */
  public record Listing(List<Entry> versions, Map<String, String> unreadable) {}

  /** Every version, without parameters, and the rows it cannot read (listed, not thrown). */
  public Listing list() {
    List<Entry> out = new ArrayList<>();
    Map<String, String> unreadable = new java.util.TreeMap<>();
    for (Row r :
        session.execute(
            "SELECT version, created_at, spec, quantiles, metrics, training_pairs"
                + " FROM quality_models")) {
      if (r.getInstant("created_at") == null) {
        unreadable.put(r.getString("version"), "no time");
        continue;
      }
      try {
        out.add(entry(r, false));
      } catch (UncheckedIOException e) {
        unreadable.put(r.getString("version"), String.valueOf(e.getCause().getMessage()));
      }
    }
    out.sort(Comparator.comparing(Entry::createdAt).reversed());
    return new Listing(List.copyOf(out), unreadable);
  }

  /** A version's name and time, as {@link #published()} lists it. */
  public record Published(String version, Instant createdAt) {}

  /**
   * Every version's name and time, newest first, reading nothing else: a version whose metadata
   * cannot be parsed is listed too (unlike {@link #versions()}, which fails on it). A row without a
   * time (written by hand) is left out: nothing can say where it stands.
   */
  public List<Published> published() {
    List<Published> out = new ArrayList<>();
    for (Row r : session.execute("SELECT version, created_at FROM quality_models")) {
      Instant at = r.getInstant("created_at");
      if (at != null) {
        out.add(new Published(r.getString("version"), at));
      }
    }
    out.sort(Comparator.comparing(Published::createdAt).reversed());
    return out;
  }

  /**
   * The newest version's name and time. It reads nothing else, so one damaged row does not stop
   * what only needs to know which version is newest (publishing, the re-scoring job, serving's
   * stats); {@link #get} then says whether that version can be read.
   */
  public Optional<Published> latest() {
    List<Published> all = published();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  /**
   * A metadata column's text; a missing one (a row written by hand) is unreadable like a damaged
   * one, not a null for Jackson, which throws an IllegalArgumentException that no caller expects.
   */
  private static String required(Row r, String column) throws IOException {
    String text = r.getString(column);
    if (text == null) {
      throw new IOException("its " + column + " is missing");
    }
    return text;
  }

  private static Entry entry(Row r, boolean full) {
    try {
      ByteBuffer params = full ? r.getByteBuffer("params") : null;
      byte[] bytes = null;
      if (params != null) {
        bytes = new byte[params.remaining()];
        params.duplicate().get(bytes);
      }
      return new Entry(
          r.getString("version"),
          r.getInstant("created_at"),
          Json.mapper().readValue(required(r, "spec"), QualitySpec.class),
          bytes,
          Json.mapper().readValue(required(r, "quantiles"), ScoreQuantiles.class),
          Json.mapper().readValue(required(r, "metrics"), new TypeReference<>() {}),
          r.getInt("training_pairs"),
          full ? r.getString("report") : null);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "quality model " + r.getString("version") + " in the registry is unreadable", e);
    }
  }
}
