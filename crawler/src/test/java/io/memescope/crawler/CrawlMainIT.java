package io.memescope.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.schema.CassandraMigrations;
import io.memescope.core.schema.Clients;
import io.memescope.core.schema.KafkaTopics;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.testing.Console;
import io.memescope.infra.testing.Console.Outcome;
import io.memescope.infra.testing.TestStack;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `memescope crawl SOURCE` as a user runs it: a source from the config file, into the stack. */
class CrawlMainIT {
  @TempDir Path dir;

  @Test
  void a_configured_url_list_is_crawled_page_by_page_into_the_crawl_topic() throws Exception {
    MemescopeConfig stack = stackWithSchema();
    String run = UUID.randomUUID().toString().substring(0, 8);
    StringBuilder list = new StringBuilder("# test list\n");
    for (int i = 0; i < 120; i++) {
      list.append("https://memes.example/").append(run).append('/').append(i).append(".jpg\n");
    }
    Path urls = Files.writeString(dir.resolve("urls.txt"), list);
    Path conf = listSource("list-" + run, urls, "crawler.page-size = 50\n");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      exit =
          CrawlMain.run(
              "list-" + run, "--config", conf.toString(), "--home", stack.home().toString());
    } finally {
      System.setOut(original);
    }

    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(printed).isZero();
    // Without a terminal the progress bar is printed as lines: a list file knows its size.
    assertThat(printed)
        .containsPattern("list-" + run + " +100% .*pages 3, found 120, published 120")
        .contains(
            "list-" + run + ": 3 page(s), 120 found, 120 published, skipped {}, reached the end");
    assertThat(consume(stack, "list-" + run, 120)).hasSize(120);
  }

  @Test
  void with_kafka_away_the_crawl_says_so_at_once_and_publishes_everything_once_it_is_back()
      throws Exception {
    MemescopeConfig stack = stackWithSchema();
    String run = UUID.randomUUID().toString().substring(0, 8);
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      list.append("https://memes.example/").append(run).append("/down-").append(i).append(".jpg\n");
    }
    Path urls = Files.writeString(dir.resolve("down.txt"), list);
    Path conf = listSource("down-" + run, urls, "");
    String[] base = {"down-" + run, "--config", conf.toString(), "--home", stack.home().toString()};
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort(); // nothing listens there once it is closed
    }

    // Kafka not there: refused within the check's time, not after the producer's minute.
    long start = System.nanoTime();
    Outcome away = crawl(base, "--set", "kafka.port=" + closedPort);
    long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
    assertThat(away.code()).isEqualTo(1);
    assertThat(away.err())
        .isEqualTo(
            "memescope crawl: Kafka at 127.0.0.1:"
                + closedPort
                + " did not answer within 10 s: is the stack up? (`memescope status`)\n");
    assertThat(seconds).as("seconds until the refusal").isLessThan(40);

    // Kafka there but without the topic (a stack not set up by `up`).
    Outcome noTopic = crawl(base, "--set", "kafka.topics.crawl-urls.name=memescope.none-" + run);
    assertThat(noTopic.code()).isEqualTo(1);
    assertThat(noTopic.err())
        .contains("has no topic memescope.none-" + run + " (`memescope up` creates the topics)");

    // Nothing was marked as published meanwhile: with Kafka back, all ten go out.
    Outcome back = crawl(base);
    assertThat(back.code()).as(back.err()).isZero();
    assertThat(back.out()).contains("10 found, 10 published");
    assertThat(consume(stack, "down-" + run, 10)).hasSize(10);
  }

  /** The test stack's settings, with the schema applied (topics and tables). */
  private static MemescopeConfig stackWithSchema() throws Exception {
    MemescopeConfig stack = TestStack.config();
    try (CqlSession plain = Clients.cassandra(stack.cassandra());
        Admin admin = Clients.kafkaAdmin(stack.kafka())) {
      new CassandraMigrations(plain, stack.cassandra()).apply();
      new KafkaTopics(admin, 1, Duration.ofSeconds(30)).apply(stack.kafka());
    }
    return stack;
  }

  /** A settings file: the test stack's, more settings, and one list source {@code id}. */
  private Path listSource(String id, Path urls, String moreSettings) throws Exception {
    return Files.writeString(
        dir.resolve(id + ".conf"),
        "include file(\""
            + Runtimes.root().resolve("infra/src/test/resources/test-stack.conf")
            + "\")\n"
            + moreSettings
            + "crawler.sources = [ { id = \""
            + id
            + "\", type = list, location = \""
            + urls
            + "\" } ]\n");
  }

  private static Outcome crawl(String[] base, String... more) {
    String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return Console.capture(() -> CrawlMain.run(args));
  }

  private static Set<String> consume(MemescopeConfig stack, String source, int expected)
      throws Exception {
    Properties p = TestStack.consumerProperties(ByteArrayDeserializer.class);
    Set<String> urls = new HashSet<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(stack.kafka().topic("crawl-urls").name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (urls.size() < expected && System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(300))) {
          CrawlRecord record = Json.read(r.value(), CrawlRecord.class);
          if (record.source().equals(source)) {
            urls.add(record.url());
          }
        }
      }
    }
    return urls;
  }
}
