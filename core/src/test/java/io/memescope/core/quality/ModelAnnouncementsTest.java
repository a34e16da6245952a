package io.memescope.core.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.KafkaSettings;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * With no broker: a clear error within the limit, and nothing claimed as announced. Reading a real
 * topic is tested against the local stack's Kafka (ServingIT, QualityPipelineIT).
 */
class ModelAnnouncementsTest {
  @Test
  void a_broker_that_is_not_there_is_an_error_naming_the_topic_within_the_limit() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // free once closed: nothing listens there
    }
    KafkaSettings kafka =
        new ConfigLoader()
            .optOverride("kafka.port", Integer.toString(port))
            .optOverride("kafka.topics.models.name", "no-broker.models")
            .load()
            .kafka();
    long began = System.nanoTime();
    try (ModelAnnouncements a = new ModelAnnouncements(kafka)) {
      assertThatThrownBy(() -> a.refresh(Duration.ofSeconds(2)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no-broker.models");
      assertThat(a.followed()).isEmpty();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
  }
}
