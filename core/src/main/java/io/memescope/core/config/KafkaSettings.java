package io.memescope.core.config;

import com.typesafe.config.ConfigObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The Kafka cluster Memescope talks to, and the local broker when the stack runs one. */
public record KafkaSettings(
    String host,
    int port,
    int controllerPort,
    long heapMegabytes,
    int replicationFactor,
    Map<String, TopicSpec> topics) {

  /** One topic; {@code key} is its name in configuration, {@code name} its name in Kafka. */
  public record TopicSpec(
      String key, String name, int partitions, boolean compacted, Duration retention) {}

  public String bootstrapServers() {
    return host + ":" + port;
  }

  /** The topic configured under {@code kafka.topics.<key>}. */
  public TopicSpec topic(String key) {
    TopicSpec spec = topics.get(key);
    if (spec == null) {
      throw new IllegalArgumentException("no topic kafka.topics." + key + " is configured");
    }
    return spec;
  }

  static KafkaSettings read(SettingsReader r) {
    Map<String, TopicSpec> topics = new LinkedHashMap<>();
    ConfigObject declared = r.config().getObject("kafka.topics");
    for (String key : declared.keySet()) {
      String p = "kafka.topics." + key + ".";
      topics.put(
          key,
          new TopicSpec(
              key,
              r.nonBlank(p + "name"),
              r.intInRange(p + "partitions", 1, 10_000),
              r.bool(p + "compacted"),
              r.positiveDuration(p + "retention")));
    }
    return new KafkaSettings(
        r.host("kafka.host"),
        r.port("kafka.port"),
        r.port("kafka.controller-port"),
        r.megabytesAtLeast("kafka.heap", 128),
        r.intInRange("kafka.replication-factor", 1, 16),
        Map.copyOf(topics));
  }
}
