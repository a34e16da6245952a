package io.memescope.core.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Every setting of Memescope, typed and validated. Built once by {@link ConfigLoader} and passed to
 * whatever needs it; nothing below the program's edge reads the environment.
 */
public record MemescopeConfig(
    Path home,
    StackSettings stack,
    KafkaSettings kafka,
    CassandraSettings cassandra,
    MilvusSettings milvus,
    FlinkSettings flink,
    CrawlerSettings crawler,
    ModelSettings model,
    IngestSettings ingest,
    ServingSettings serving,
    RaterSettings rater,
    TrainerSettings trainer,
    Config source) {

  /** The merged settings as HOCON, for handing to another process of the stack. */
  public String render() {
    return source
        .root()
        .render(com.typesafe.config.ConfigRenderOptions.concise().setFormatted(true));
  }

  /** The defaults alone: handy in tests and tools. */
  public static MemescopeConfig defaults() {
    return new ConfigLoader().load();
  }

  static MemescopeConfig from(Config config) {
    SettingsReader reader = new SettingsReader(config);
    MemescopeConfig result =
        new MemescopeConfig(
            reader.path("home"),
            StackSettings.read(reader),
            KafkaSettings.read(reader),
            CassandraSettings.read(reader),
            MilvusSettings.read(reader),
            FlinkSettings.read(reader),
            CrawlerSettings.read(reader),
            ModelSettings.read(reader),
            IngestSettings.read(reader),
            ServingSettings.read(reader),
            RaterSettings.read(reader),
            TrainerSettings.read(reader),
            config);
    result.checkPortsDistinct(reader);
    reader.throwIfProblems();
    return result;
  }

  /** Every port the local stack binds, by the key that sets it. */
  public Map<String, Integer> localPorts() {
    Map<String, Integer> ports = new java.util.LinkedHashMap<>();
    ports.put("kafka.port", kafka.port());
    ports.put("kafka.controller-port", kafka.controllerPort());
    ports.put("cassandra.native-port", cassandra.nativePort());
    ports.put("cassandra.storage-port", cassandra.storagePort());
    ports.put("cassandra.jmx-port", cassandra.jmxPort());
    ports.put("milvus.port", milvus.port());
    ports.put("crawler.metrics-port", crawler.metricsPort());
    ports.put("serving.port", serving.port());
    ports.put("rater.port", rater.port());
    ports.put("flink.rest-port", flink.restPort());
    ports.put("flink.rpc-port", flink.rpcPort());
    ports.put("flink.blob-port", flink.blobPort());
    ports.put("flink.query-port", flink.queryPort());
    ports.put("flink.metrics-port", flink.metricsPort());
    for (int i = 0; i < flink.taskManagerCount(); i++) {
      ports.put(
          "flink.taskmanager.port-base (taskmanager " + i + " rpc)", flink.taskManagerRpcPort(i));
      ports.put(
          "flink.taskmanager.port-base (taskmanager " + i + " data)", flink.taskManagerDataPort(i));
      ports.put(
          "flink.taskmanager.port-base (taskmanager " + i + " query)",
          flink.taskManagerQueryPort(i));
      ports.put(
          "flink.metrics-port (taskmanager " + i + " metrics)", flink.taskManagerMetricsPort(i));
    }
    return ports;
  }

  private void checkPortsDistinct(SettingsReader reader) {
    Map<Integer, String> seen = new HashMap<>();
    localPorts()
        .forEach(
            (key, port) -> {
              String other = seen.putIfAbsent(port, key);
              if (other != null) {
                reader.problem(key, "is " + port + ", the same port as " + other);
              }
            });
  }
}
