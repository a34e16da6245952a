package io.memescope.flink.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.KafkaSettings;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.infra.flink.FlinkRestClient;
import io.memescope.infra.testing.TestStack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** The job jar, uploaded to the stack's session cluster over REST, runs to completion. */
class ClusterSmokeJobIT {
  private static final long COUNT = 100_000;

  @Test
  void job_jar_submitted_to_the_session_cluster_finishes_and_writes_correct_sums()
      throws Exception {
    MemescopeConfig config = TestStack.config();
    String topic = TestStack.createTopic("smoke", 1);
    Path jar = Path.of(System.getProperty("memescope.jobJar"));
    assertThat(jar).exists();

    FlinkRestClient flink = new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(10));
    String jarId = flink.uploadJar(jar);
    String jobId =
        flink.runJar(
            jarId,
            ClusterSmokeJob.class.getName(),
            List.of(
                "--bootstrap", config.kafka().bootstrapServers(),
                "--topic", topic,
                "--count", Long.toString(COUNT)));
    String state = awaitTerminal(flink, jobId, Duration.ofMinutes(3));
    flink.deleteJar(jarId);

    assertThat(state).isEqualTo("FINISHED");
    assertThat(consume(config.kafka(), topic, 10)).isEqualTo(expectedSums());
  }

  private static String awaitTerminal(FlinkRestClient flink, String jobId, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String state = "";
    while (System.nanoTime() < deadline) {
      state = flink.jobState(jobId);
      if (List.of("FINISHED", "FAILED", "CANCELED").contains(state)) {
        return state;
      }
      Thread.sleep(500);
    }
    return state;
  }

  private static Map<Long, Long> expectedSums() {
    Map<Long, Long> sums = new TreeMap<>();
    for (long n = 1; n <= COUNT; n++) {
      sums.merge(n % 10, n, Long::sum);
    }
    return sums;
  }

  private static Map<Long, Long> consume(KafkaSettings kafka, String topic, int expected) {
    Properties p = TestStack.consumerProperties(StringDeserializer.class);
    Map<Long, Long> sums = new TreeMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (sums.size() < expected && System.nanoTime() < deadline) {
        consumer
            .poll(Duration.ofMillis(500))
            .forEach(
                r -> {
                  String[] kv = r.value().split("=");
                  sums.put(Long.parseLong(kv[0]), Long.parseLong(kv[1]));
                });
      }
    }
    return sums;
  }
}
