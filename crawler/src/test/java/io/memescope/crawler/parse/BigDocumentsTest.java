package io.memescope.crawler.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.crawler.ServiceHeapJvm;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.feed.FeedParser;
import io.memescope.crawler.reddit.RedditListingParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Large feeds and listings parsed by the crawler service's four source threads at once, in its
 * heap. Each becomes a tree of many times its bytes; until 2026-12-07 four were built side by side,
 * and the service ran out of memory (only HTML pages took turns).
 */
class BigDocumentsTest {
  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

  /**
   * Bytes of each document: four of them at once do not fit even a 320 MB heap, and one at a time
   * fits in 160 MB (the 2-core development machine, 2026-12-07), so the test's 256 MB has room on
   * both sides. A listing's tree (Jackson's) is smaller than a feed's (Rome's), so listings are
   * larger.
   */
  static int size(String kind) {
    return kind.equals("feed") ? 6 << 20 : 12 << 20;
  }

  @ParameterizedTest
  @ValueSource(strings = {"feed", "listing"})
  void four_large_documents_parsed_at_once_fit_the_services_heap(String kind, @TempDir Path dir)
      throws Exception {
    ServiceHeapJvm.Run run =
        ServiceHeapJvm.run(dir, Duration.ofSeconds(180), FourAtOnce.class, kind);
    String out = run.out();
    assertThat(run.ended()).as("parsed within three minutes: %s", out).isTrue();
    assertThat(run.exitValue()).as(out).isZero();
    // (Logback's start-up notes go to the same output.)
    List<String> lines = run.said().lines().filter(l -> l.contains(" records, first ")).toList();
    assertThat(lines).as(out).hasSize(4);
    int items = Integer.parseInt(lines.get(0).split(" ")[0]);
    assertThat(items).as(out).isGreaterThan(10_000);
    // Every image of every document, the first and the last among them.
    assertThat(lines).allMatch(l -> l.equals(lines.get(0)), out);
    assertThat(lines.get(0))
        .isEqualTo(
            items
                + " records, first https://cdn.example/i/0.jpg, last https://cdn.example/i/"
                + (items - 1)
                + ".jpg");
  }

  /** An RSS feed of about {@code size} bytes, one image per item. */
  static byte[] feed(int size) {
    StringBuilder xml =
        new StringBuilder(
            "<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'>"
                + "<channel><title>big</title><link>https://memes.example/</link>");
    String end = "</channel></rss>";
    for (int i = 0; xml.length() + end.length() < size - 400; i++) {
      xml.append("<item><title>meme ")
          .append(i)
          .append("</title><link>https://memes.example/p/")
          .append(i)
          .append("</link><media:content url='https://cdn.example/i/")
          .append(i)
          .append(".jpg' medium='image'/></item>");
    }
    return xml.append(end).toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A Reddit listing of about {@code size} bytes, one image post per child. */
  static byte[] listing(int size) {
    StringBuilder json = new StringBuilder("{\"kind\":\"Listing\",\"data\":{\"children\":[");
    String end = "],\"after\":null}}";
    for (int i = 0; json.length() + end.length() < size - 400; i++) {
      if (i > 0) {
        json.append(',');
      }
      json.append("{\"kind\":\"t3\",\"data\":{\"id\":\"p")
          .append(i)
          .append("\",\"title\":\"meme ")
          .append(i)
          .append("\",\"author\":\"a\",\"permalink\":\"/r/memes/comments/p")
          .append(i)
          .append("/\",\"created_utc\":1765000000,\"score\":1,\"over_18\":false,")
          .append("\"url\":\"https://cdn.example/i/")
          .append(i)
          .append(".jpg\"}}");
    }
    return json.append(end).toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Parses four documents of the kind its first argument names on four threads started together,
   * each held from the start as the service's sources may, and prints what each gave.
   */
  public static final class FourAtOnce {
    public static void main(String[] args) throws Exception {
      boolean feeds = args[0].equals("feed");
      List<byte[]> documents = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        documents.add(feeds ? feed(size(args[0])) : listing(size(args[0])));
      }
      ExecutorService threads =
          Executors.newFixedThreadPool(
              4,
              r -> {
                Thread t = new Thread(r);
                t.setDaemon(true); // an OutOfMemoryError in one ends the process, not waits
                return t;
              });
      CompletionService<String> results = new ExecutorCompletionService<>(threads);
      CountDownLatch start = new CountDownLatch(1);
      for (byte[] body : documents) {
        Callable<String> parse =
            () -> {
              start.await();
              SourcePage page =
                  feeds
                      ? new FeedParser("feed:big").parse(body, "https://memes.example/feed", NOW)
                      : new RedditListingParser("reddit:big", "https://www.reddit.com", false)
                          .parse(body, NOW);
              return page.records().size()
                  + " records, first "
                  + page.records().get(0).url()
                  + ", last "
                  + page.records().get(page.records().size() - 1).url();
            };
        results.submit(parse);
      }
      start.countDown();
      for (int i = 0; i < documents.size(); i++) {
        System.out.println(results.take().get()); // as each ends: the first failure fails it
      }
    }
  }
}
