package io.memescope.core.schema;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.config.KafkaSettings.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Brings Kafka's topics in line with configuration: creates missing topics, adds partitions, and
 * sets the cleanup policy and retention. Never deletes a topic and never removes partitions (Kafka
 * cannot); a topic with more partitions than configured is reported and left alone.
 */
public final class KafkaTopics {
  private final Admin admin;
  private final int replicationFactor;
  private final Duration timeout;

  public KafkaTopics(Admin admin, int replicationFactor, Duration timeout) {
    this.admin = admin;
    this.replicationFactor = replicationFactor;
    this.timeout = timeout;
  }

  /** Applies every topic of {@code settings}; returns what it changed, one line each. */
  /** The end offset of each partition of {@code topic}: what a consumer at the head would read. */
  public static Map<TopicPartition, Long> endOffsets(Admin admin, String topic, Duration timeout)
      throws ExecutionException, InterruptedException, TimeoutException {
    TopicDescription d =
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .get(topic);
    Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
    d.partitions()
        .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    Map<TopicPartition, Long> out = new java.util.HashMap<>();
    admin
        .listOffsets(request)
        .all()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  /** What {@link #check} found: {@code failure} says why when the topic is not there. */
  public record TopicCheck(Status status, Throwable failure) {
    public enum Status {
      PRESENT,
      NO_TOPIC,
      NOT_ANSWERING
    }
  }

  /**
   * Whether Kafka answers within {@code timeout} and has {@code topic}: what a command checks
   * before work that ends in writing to the topic, so that a stack that is down is said at once.
   */
  public static TopicCheck check(KafkaSettings kafka, String topic, Duration timeout)
      throws InterruptedException {
    try (Admin admin = Clients.kafkaAdmin(kafka, (int) timeout.toMillis())) {
      admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
      return new TopicCheck(TopicCheck.Status.PRESENT, null);
    } catch (ExecutionException e) {
      return new TopicCheck(
          e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException
              ? TopicCheck.Status.NO_TOPIC
              : TopicCheck.Status.NOT_ANSWERING,
          e.getCause());
    } catch (TimeoutException e) {
      return new TopicCheck(TopicCheck.Status.NOT_ANSWERING, e);
    }
  }

  public List<String> apply(KafkaSettings settings) {
    return apply(settings.topics().values());
  }

  public List<String> apply(Collection<TopicSpec> specs) {
    List<String> changes = new ArrayList<>();
    Set<String> existing = await(admin.listTopics().names(), "list topics");
    for (TopicSpec spec : specs) {
      if (existing.contains(spec.name())) {
        reconcile(spec, changes);
      } else {
        create(spec, changes);
      }
    }
    return changes;
  }

  private void create(TopicSpec spec, List<String> changes) {
    NewTopic topic =
        new NewTopic(spec.name(), spec.partitions(), (short) replicationFactor)
            .configs(topicConfig(spec));
    try {
      await(admin.createTopics(List.of(topic)).all(), "create topic " + spec.name());
      changes.add("created topic " + spec.name() + " (" + spec.partitions() + " partitions)");
    } catch (SchemaException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
      reconcile(spec, changes); // created concurrently by another process
    }
  }

  private void reconcile(TopicSpec spec, List<String> changes) {
    TopicDescription description =
        await(admin.describeTopics(List.of(spec.name())).allTopicNames(), "describe topic")
            .get(spec.name());
    int actual = description.partitions().size();
    if (actual < spec.partitions()) {
      await(
          admin
              .createPartitions(Map.of(spec.name(), NewPartitions.increaseTo(spec.partitions())))
              .all(),
          "add partitions to " + spec.name());
      changes.add("widened topic " + spec.name() + " from " + actual + " to " + spec.partitions());
    } else if (actual > spec.partitions()) {
      changes.add(
          "topic "
              + spec.name()
              + " has "
              + actual
              + " partitions, more than the "
              + spec.partitions()
              + " configured under kafka.topics."
              + spec.key()
              + "; Kafka cannot remove partitions, left as is");
    }
    reconcileConfig(spec, changes);
  }

  private void reconcileConfig(TopicSpec spec, List<String> changes) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
    Config current =
        await(admin.describeConfigs(List.of(resource)).all(), "describe topic config")
            .get(resource);
    List<AlterConfigOp> ops = new ArrayList<>();
    topicConfig(spec)
        .forEach(
            (key, wanted) -> {
              ConfigEntry entry = current.get(key);
              if (entry == null || !wanted.equals(entry.value())) {
                ops.add(new AlterConfigOp(new ConfigEntry(key, wanted), AlterConfigOp.OpType.SET));
              }
            });
    if (!ops.isEmpty()) {
      await(
          admin.incrementalAlterConfigs(Map.of(resource, ops)).all(),
          "alter config of " + spec.name());
      changes.add("updated config of topic " + spec.name() + ": " + topicConfig(spec));
    }
  }

  static Map<String, String> topicConfig(TopicSpec spec) {
    return spec.compacted()
        ? Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)
        : Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.CLEANUP_POLICY_DELETE,
            TopicConfig.RETENTION_MS_CONFIG,
            Long.toString(spec.retention().toMillis()));
  }

  private <T> T await(KafkaFuture<T> future, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaException("interrupted while waiting to " + what, e);
    } catch (ExecutionException e) {
      throw new SchemaException("Kafka failed to " + what + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new SchemaException("Kafka did not " + what + " within " + timeout, e);
    }
  }
}
