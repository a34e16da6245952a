package io.memescope.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The ingest job (module flink-jobs): parallelism, checkpoints, fetching, de-duplication and
 * embedding batches.
 *
 * <p>Serializable: Flink ships it to the TaskManagers inside the job's functions.
 *
 * @param fileRoots absolute directories, as strings (paths do not serialize)
 * @param embedGpus GPUs each embedding subtask asks the cluster for (Flink's {@code gpu} external
 *     resource; the cluster must have fine-grained resource management on); 0 asks for none
 * @param embedPreprocessThreads threads of each embedding subtask that decode and preprocess images
 *     for the model, so that its forward passes never wait for them
 * @param nearDuplicateDistance the largest Hamming distance between two 64-bit perceptual hashes
 *     that makes them one image; 0 turns near-duplicate detection off
 * @param fetchHeldBytes the bytes of fetched images a fetch subtask holds at once, read or being
 *     read, until they have been decoded; a URL waits to be asked for until a body of the average
 *     size fits beside them, and a body is read only if its declared size does
 * @param refusedRobotsDirectives {@code X-Robots-Tag} directives that make an image answer a {@code
 *     robots_tag} rejection; empty: the header is ignored
 */
public record IngestSettings(
    boolean enabled,
    String jobName,
    int parallelism,
    int embedParallelism,
    Duration checkpointInterval,
    Duration seenUrlTtl,
    Duration connectTimeout,
    Duration readTimeout,
    Duration fetchTimeout,
    long maxBytes,
    int maxRedirects,
    int fetchConcurrency,
    long fetchHeldBytes,
    Set<String> allowPrivateHosts,
    List<String> fileRoots,
    Set<String> refusedRobotsDirectives,
    int nearDuplicateDistance,
    Duration embedMaxWait,
    int embedPreprocessThreads,
    int embedGpus)
    implements java.io.Serializable {

  public List<Path> fileRootPaths() {
    return fileRoots.stream().map(Path::of).toList();
  }

  /** The longest fetch timeout taken: an hour (OkHttp refuses over about 24 days). */
  static final java.time.Duration FETCH_TIMEOUT_LIMIT = java.time.Duration.ofHours(1);

  static IngestSettings read(SettingsReader r) {
    Set<String> hosts = Set.copyOf(r.stringList("ingest.fetch.allow-private-hosts", "host names"));
    List<String> roots =
        r.stringList("ingest.fetch.file-roots", "directories").stream()
            .map(p -> Path.of(p).toAbsolutePath().normalize().toString())
            .toList();
    Set<String> robots =
        Set.copyOf(
            r.stringList("ingest.fetch.refuse-robots-directives", "X-Robots-Tag directives"));
    return new IngestSettings(
        r.bool("ingest.enabled"),
        r.nonBlank("ingest.job-name"),
        r.intInRange("ingest.parallelism", 1, 1024),
        r.intInRange("ingest.embed-parallelism", 1, 1024),
        r.positiveDuration("ingest.checkpoint-interval"),
        r.positiveDuration("ingest.seen-url-ttl"),
        // Bounded here, not first by the HTTP client or the read buffer when the job starts.
        r.positiveDurationAtMost("ingest.fetch.connect-timeout", FETCH_TIMEOUT_LIMIT),
        r.positiveDurationAtMost("ingest.fetch.read-timeout", FETCH_TIMEOUT_LIMIT),
        r.positiveDurationAtMost("ingest.fetch.timeout", FETCH_TIMEOUT_LIMIT),
        r.megabytesBetween("ingest.fetch.max-bytes", 1, 2047) << 20,
        r.intInRange("ingest.fetch.max-redirects", 0, 20),
        r.intInRange("ingest.fetch.concurrency", 1, 10_000),
        r.megabytesBetween("ingest.fetch.held-bytes", 1, 2047) << 20,
        hosts,
        roots,
        robots,
        r.intInRange("ingest.near-duplicate-distance", 0, 32),
        r.positiveDuration("ingest.embed-max-wait"),
        r.intInRange("ingest.embed-preprocess-threads", 1, 256),
        r.intInRange("ingest.embed-gpus", 0, 16));
  }
}
