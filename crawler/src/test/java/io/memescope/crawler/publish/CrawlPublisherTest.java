package io.memescope.crawler.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.records.CrawlRecord;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The publisher with no Kafka behind its address (a port nothing listens on): what a crawl sees
 * when the broker goes away. With a broker, CrawlMainIT and the crawler's other ITs cover it.
 */
class CrawlPublisherTest {
  @Test
  void a_page_fails_once_when_kafka_is_gone_not_once_per_record() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    List<CrawlRecord> page = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      page.add(
          CrawlRecord.of(
              "https://memes.example/" + i + ".jpg",
              "s",
              Instant.now(),
              null,
              null,
              null,
              Map.of()));
    }
    long start = System.nanoTime();
    try (CrawlPublisher publisher =
        new CrawlPublisher("127.0.0.1:" + closed, "memescope.crawl.urls", Duration.ofSeconds(2))) {
      assertThatThrownBy(() -> publisher.publishAll(page))
          .isInstanceOf(PublishException.class)
          .hasMessageStartingWith("publishing to memescope.crawl.urls failed: ")
          .hasMessageContaining("not present in metadata after 2000 ms");
    }
    // One wait for metadata (2 s) and a bounded close, not ten waits (20 s) and an unbounded one.
    assertThat(Duration.ofNanos(System.nanoTime() - start).toSeconds())
        .as("seconds until the page failed and the publisher closed")
        .isLessThan(12);
  }

  @Test
  void the_check_names_the_address_that_did_not_answer() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    assertThatThrownBy(
            () ->
                CrawlPublisher.checkReachable(
                    new io.memescope.core.config.ConfigLoader()
                        .optOverride("kafka.port", String.valueOf(closed))
                        .load()
                        .kafka(),
                    "memescope.crawl.urls",
                    Duration.ofSeconds(2)))
        .isInstanceOf(PublishException.class)
        .hasMessage(
            "Kafka at 127.0.0.1:"
                + closed
                + " did not answer within 2 s: is the stack up? (`memescope status`)");
  }
}
