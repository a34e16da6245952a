package io.memescope.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The serving API and search UI (module serving).
 *
 * @param adminKey the admin endpoints' key; empty means the stack's generated key file
 * @param rateLimit read requests per second per client
 * @param rateBurst requests a client may make at once above the rate
 * @param maxUploadBytes the most query-image bytes of one search, all its images together, decoded
 * @param fileRoots directories originals may be served from; empty means the ingest job's
 * @param searchEf HNSW search breadth
 * @param metadataCache how long search results reuse an image's metadata before reading it again in
 *     the background; zero: not at all
 * @param metadataMaxAge how old reused metadata may be at most: older is read before answering
 *     (never below {@code metadataCache})
 * @param qualitySortWindow how many of the most similar images a quality-sorted search orders
 * @param gzipLoopback whether answers to clients on the loopback interface are gzipped too
 * @param trustedProxies addresses of reverse proxies whose {@code X-Forwarded-For} names the client
 *     (normalised IP literals)
 * @param modelWait the longest a search waits for its turn of the model before a 503
 * @param takedownRepair how often the server looks for takedowns that were recorded but not
 *     finished (Milvus or Cassandra away half-way, on any replica) and finishes them
 */
public record ServingSettings(
    boolean enabled,
    String host,
    int port,
    String adminKey,
    int rateLimit,
    int rateBurst,
    int maxTerms,
    int maxPageSize,
    int defaultPageSize,
    long maxUploadBytes,
    List<Path> fileRoots,
    int searchEf,
    Duration metadataCache,
    Duration metadataMaxAge,
    int qualitySortWindow,
    boolean gzipLoopback,
    java.util.Set<String> trustedProxies,
    Duration modelWait,
    Duration takedownRepair) {

  /**
   * Where the stack keeps the admin key it generates when {@code serving.admin-key} is empty:
   * {@code <home>/conf/admin-key}.
   */
  public static Path adminKeyFile(Path home) {
    return home.resolve("conf").resolve("admin-key");
  }

  static ServingSettings read(SettingsReader r) {
    List<Path> roots =
        r.stringList("serving.file-roots", "directories").stream()
            .map(p -> Path.of(p).toAbsolutePath().normalize())
            .toList();
    int maxPage = r.intInRange("serving.max-page-size", 1, 1000);
    int defaultPage = r.intInRange("serving.default-page-size", 1, 1000);
    if (defaultPage > maxPage) {
      r.problem("serving.default-page-size", "must not exceed serving.max-page-size");
    }
    Duration metadataCache = r.nonNegativeDuration("serving.metadata-cache");
    // A max age below the cache time would make the cache time meaningless: the larger wins.
    Duration metadataMaxAge = r.nonNegativeDuration("serving.metadata-max-age");
    if (metadataMaxAge.compareTo(metadataCache) < 0) {
      metadataMaxAge = metadataCache;
    }
    return new ServingSettings(
        r.bool("serving.enabled"),
        r.host("serving.host"),
        r.port("serving.port"),
        r.string("serving.admin-key"),
        r.intInRange("serving.rate-limit", 1, 1_000_000),
        r.intInRange("serving.rate-burst", 1, 1_000_000),
        r.intInRange("serving.max-terms", 1, 256),
        maxPage,
        defaultPage,
        r.megabytesAtLeast("serving.max-upload", 1) << 20,
        roots,
        r.intInRange("serving.search-ef", 1, 32_768),
        metadataCache,
        metadataMaxAge,
        r.intInRange("serving.quality-sort-window", 1, 16_384),
        r.bool("serving.gzip-loopback"),
        r.ipAddresses("serving.trusted-proxies"),
        r.positiveDurationAtMost("serving.model-wait", Duration.ofMinutes(10)),
        r.positiveDurationAtMost("serving.takedown-repair-interval", Duration.ofDays(1)));
  }
}
