package io.memescope.infra.testing;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.KafkaSettings.TopicSpec;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.KafkaTopics;
import io.memescope.core.schema.Schema;
import io.memescope.infra.stack.LocalStack;
import io.memescope.infra.stack.ProgressListener;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.stack.StackLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The local stack that integration tests share: started once per build (the first test JVM starts
 * it, later ones find it healthy and reuse it), on the ports of {@code test-stack.conf} so it never
 * meets a stack the user runs. {@code ./memescope test} stops it at the end.
 *
 * <pre>{@code
 * MemescopeConfig config = TestStack.config();   // up and healthy
 * }</pre>
 */
public final class TestStack {
  private static MemescopeConfig config;

  private TestStack() {}

  /** The shared stack's configuration, after making sure every service is up. */
  public static synchronized MemescopeConfig config() {
    if (config == null) {
      MemescopeConfig candidate = load(Map.of());
      LocalStack stack = new LocalStack(candidate);
      ProgressListener log =
          (service, message) -> System.out.println("[test-stack] " + service + ": " + message);
      // A stack left running by an earlier build (a plain `mvn verify` does not stop it) would run
      // this build's jobs on that build's memescope-core: restart what is out of date.
      stack
          .outdated(stack.infrastructure())
          .forEach(
              (name, why) -> {
                log.step(name, why + " (restarting it for this build)");
                stack.down(List.of(name), log);
              });
      stack.up(stack.infrastructure(), log);
      // Applications need the schema (the crawler opens the keyspace), as at `memescope up`.
      Schema.apply(candidate);
      stack.up(stack.applications(), log);
      config = candidate;
    }
    return config;
  }

  /** The test stack's configuration with extra overrides, without starting anything. */
  public static MemescopeConfig load(Map<String, String> overrides) {
    Path root = Runtimes.root();
    return new ConfigLoader()
        .optFile(root.resolve("infra/src/test/resources/test-stack.conf"))
        .optOverride("home", root.resolve(".memescope-test").toString())
        .optOverride("model.dir", root.resolve("models/tiny").toString())
        .optOverrides(overrides)
        .load();
  }

  /**
   * The running test stack's settings with a keyspace and collection of their own, and topics of
   * their own for the given topic keys ({@code models}, {@code ingest-indexed}, ...), all named
   * {@code prefix_<unique>}; the schema applied.
   */
  public static MemescopeConfig isolated(String prefix, String... topics) {
    config();
    String run = uniqueName(prefix);
    Map<String, String> overrides = new java.util.HashMap<>();
    overrides.put("cassandra.keyspace", run);
    overrides.put("milvus.collection", run);
    for (String topic : topics) {
      overrides.put("kafka.topics." + topic + ".name", run + "." + topic);
    }
    MemescopeConfig isolated = load(overrides);
    Schema.apply(isolated);
    return isolated;
  }

  /** Creates a fresh topic on the test stack's Kafka and returns its name. */
  public static String createTopic(String prefix, int partitions) {
    String name = uniqueName(prefix);
    try (Admin admin = Clients.kafkaAdmin(config().kafka())) {
      new KafkaTopics(admin, 1, Duration.ofSeconds(30))
          .apply(List.of(new TopicSpec(prefix, name, partitions, false, Duration.ofHours(1))));
    }
    return name;
  }

  /** A consumer of the test stack in a group of its own, reading from the beginning. */
  public static Properties consumerProperties(Class<?> valueDeserializer) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config().kafka().bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, uniqueName("group"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, valueDeserializer);
    return p;
  }

  /** The running process of one of the stack's services, from its pid file. */
  public static ProcessHandle process(String service) throws IOException {
    long pid =
        Long.parseLong(Files.readString(new StackLayout(config().home()).pidFile(service)).strip());
    return ProcessHandle.of(pid)
        .orElseThrow(
            () -> new IllegalStateException(service + " (pid " + pid + ") is not running"));
  }

  /** A name no other test uses, for a fresh topic, keyspace or collection. */
  public static String uniqueName(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }
}
