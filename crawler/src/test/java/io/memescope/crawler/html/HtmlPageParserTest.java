package io.memescope.crawler.html;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.ServiceHeapJvm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HtmlPageParserTest {
  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

  @Test
  void a_page_is_read_up_to_its_first_2_mib_and_one_cut_there_counts_as_skipped() {
    HtmlPageParser parser = new HtmlPageParser("html:site");
    String url = "https://site.example/";
    byte[] whole = page("<p>x", HtmlPageParser.MAX_PARSED_BYTES);
    HtmlPageParser.Parsed all = parser.parseWithLinks(whole, "text/html", url, NOW);
    assertThat(all.page().records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://site.example/og.jpg", "https://site.example/last.jpg");
    assertThat(all.page().skipped()).isEmpty();
    assertThat(all.sameHostLinks()).containsExactly("https://site.example/next");

    byte[] longer = page("<p>x", HtmlPageParser.MAX_PARSED_BYTES + 64); // the end cut off
    HtmlPageParser.Parsed cut = parser.parseWithLinks(longer, "text/html", url, NOW);
    assertThat(cut.page().records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://site.example/og.jpg");
    assertThat(cut.page().records().get(0).title()).isEqualTo("A long page");
    assertThat(cut.page().skipped()).isEqualTo(Map.of("page_cut", 1));
    assertThat(cut.sameHostLinks()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"<p>x", "<b>"})
  void four_pages_as_large_as_the_crawler_reads_are_parsed_at_once_in_the_services_heap(
      String unit, @TempDir Path dir) throws Exception {
    // Four pages of 16 MiB (crawler.max-response-bytes) of short paragraphs, or of unclosed
    // <b>s, parsed by four threads (the crawler service's sources) in a JVM with its heap (256 MB,
    // serial GC). Until 2026-12-07 a page was parsed whole into a tree of millions of elements,
    // which did not fit even alone: an OutOfMemoryError, at every pass of its source.
    ServiceHeapJvm.Run run = ServiceHeapJvm.run(dir, Duration.ofSeconds(120), BigPages.class, unit);
    String out = run.out();
    assertThat(run.ended()).as("parsed within two minutes: %s", out).isTrue();
    assertThat(run.exitValue()).as(out).isZero();
    assertThat(run.said().strip().lines())
        .containsExactly(
            "https://site.example/og.jpg | A long page | {page_cut=1}",
            "https://site.example/og.jpg | A long page | {page_cut=1}",
            "https://site.example/og.jpg | A long page | {page_cut=1}",
            "https://site.example/og.jpg | A long page | {page_cut=1}");
  }

  /**
   * A page of {@code size} bytes: a title and og:image, {@code unit} over and over, and an image
   * and a link at its very end.
   */
  static byte[] page(String unit, int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    out.writeBytes(
        ("<html><head><title>A long page</title>"
                + "<meta property=og:image content=/og.jpg></head><body>")
            .getBytes(StandardCharsets.UTF_8));
    byte[] end =
        "<img src=/last.jpg><a href=/next>more</a></body></html>".getBytes(StandardCharsets.UTF_8);
    byte[] u = unit.getBytes(StandardCharsets.UTF_8);
    while (out.size() + u.length + end.length <= size) {
      out.writeBytes(u);
    }
    out.writeBytes(" ".repeat(size - out.size() - end.length).getBytes(StandardCharsets.UTF_8));
    out.writeBytes(end);
    return out.toByteArray();
  }

  /** Parses four 16 MiB pages of its first argument at once, and prints what each gave. */
  public static final class BigPages {
    public static void main(String[] args) throws Exception {
      List<byte[]> pages = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        pages.add(page(args[0], 16 << 20)); // all four held from the start, as the service may
      }
      ExecutorService threads = Executors.newFixedThreadPool(4);
      List<Future<String>> results = new ArrayList<>();
      for (byte[] body : pages) {
        results.add(
            threads.submit(
                () -> {
                  HtmlPageParser.Parsed parsed =
                      new HtmlPageParser("html:site")
                          .parseWithLinks(body, "text/html", "https://site.example/", NOW);
                  List<CrawlRecord> records = parsed.page().records();
                  return String.join(" ", records.stream().map(CrawlRecord::url).toList())
                      + " | "
                      + records.get(0).title()
                      + " | "
                      + parsed.page().skipped();
                }));
      }
      for (Future<String> r : results) {
        System.out.println(r.get());
      }
      threads.shutdown();
    }
  }
}
