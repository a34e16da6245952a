package io.memescope.core.config;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** The Milvus server Memescope talks to, and the local Milvus Lite when the stack runs one. */
public record MilvusSettings(
    String host,
    int port,
    String collection,
    String python,
    Optional<Path> venv,
    String indexType,
    String metric) {

  static final Set<String> INDEX_TYPES = Set.of("HNSW", "FLAT", "IVF_FLAT", "AUTOINDEX");

  /**
   * Similarities, higher is nearer, as search, paging and the quality sort assume. (L2 is left out:
   * a distance, lower is nearer; on the unit vectors stored it ranks as COSINE does.)
   */
  static final Set<String> METRICS = Set.of("COSINE", "IP");

  public String uri() {
    return "http://" + host + ":" + port;
  }

  static MilvusSettings read(SettingsReader r) {
    String collection = r.nonBlank("milvus.collection");
    if (!collection.matches("[a-zA-Z_][a-zA-Z0-9_]{0,254}")) {
      r.problem("milvus.collection", "'" + collection + "' is not a valid collection name");
    }
    String indexType = r.nonBlank("milvus.index-type");
    if (!INDEX_TYPES.contains(indexType)) {
      r.problem("milvus.index-type", "'" + indexType + "' is not one of " + INDEX_TYPES);
    }
    String metric = r.nonBlank("milvus.metric");
    if (!METRICS.contains(metric)) {
      r.problem(
          "milvus.metric",
          "'"
              + metric
              + "' is not one of "
              + METRICS
              + (metric.equals("L2")
                  ? " (L2 is a distance, lower nearer, and search ranks by similarity; on the"
                      + " unit vectors stored COSINE ranks the same)"
                  : ""));
    }
    String venv = r.string("milvus.venv");
    return new MilvusSettings(
        r.host("milvus.host"),
        r.port("milvus.port"),
        collection,
        r.nonBlank("milvus.python"),
        venv.isBlank() ? Optional.empty() : Optional.of(Path.of(venv)),
        indexType,
        metric);
  }
}
