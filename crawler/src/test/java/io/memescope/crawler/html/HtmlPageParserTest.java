package io.memescope.crawler.html;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.ImageLinks;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HtmlPageParserTest {
  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

  @Test
  void a_page_read_element_by_element_gives_what_its_whole_tree_gives() {
    // The parser reads a page as a stream, each element as it closes, and drops it (below). What
    // it finds must be what the page's whole tree gives: images in document order, og:image
    // first, resolved against <base>, a title from <head> only.
    String url = "https://site.example/dir/page.html";
    String html =
        """
        <!doctype html><html><head><base href="https://site.example/b/">
        <meta property="OG:Image" content="og.jpg"><meta name="twitter:image" content="/tw.png">
        <title>First   title</title><meta property="og:title" content="">
        <meta property="og:title" content="second og title"></head><body>
        <svg><title>svg title</title></svg>
        <a href="/p/1"><img src="in-link.jpg"></a>
        <picture><source srcset="s.webp"><img src="pic.jpg" srcset="p1.jpg 1x, p2.jpg 2x"></picture>
        <table><tr><td><img src=cell.png><a href="https://site.example/p/2#frag">2</a></td></tr>
        </table><b><i>unclosed <img src=deep.gif><p>text <img src=og.jpg>
        <template><img src="tpl.jpg"></template>
        <a href="https://other.example/x">elsewhere</a><a href="mailto:a@site.example">m</a>
        <title>a title in the body</title>
        """;
    HtmlPageParser.Parsed parsed =
        new HtmlPageParser("html:site").parseWithLinks(html.getBytes(), null, url, NOW);

    Document tree = Jsoup.parse(html, url);
    List<String> expected = ImageLinks.inDocument(tree);
    assertThat(expected)
        .containsExactly(
            "https://site.example/b/og.jpg",
            "https://site.example/tw.png",
            "https://site.example/b/in-link.jpg",
            "https://site.example/b/p2.jpg",
            "https://site.example/b/cell.png",
            "https://site.example/b/deep.gif",
            "https://site.example/b/tpl.jpg");
    assertThat(parsed.page().records()).extracting(CrawlRecord::url).isEqualTo(expected);
    // The first og:title with a content attribute is empty: the <head>'s title, as the tree's.
    assertThat(tree.title()).isEqualTo("First title");
    assertThat(parsed.page().records()).allMatch(r -> r.title().equals("First title"));
    assertThat(parsed.sameHostLinks())
        .containsExactly("https://site.example/p/1", "https://site.example/p/2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"<p>x", "<br>x"})
  void a_page_as_large_as_the_crawler_reads_is_parsed_in_the_crawler_services_heap_in_seconds(
      String unit, @TempDir Path dir) throws Exception {
    // 16 MiB (crawler.max-response-bytes) of short paragraphs, or of lines, in a JVM with the
    // crawler service's heap (256 MB, serial GC). Until 2026-12-07 the page was parsed into one
    // tree of millions of elements, which does not fit: an OutOfMemoryError, at every pass of its
    // source. A first streamed version kept the text between elements, and took hours on lines.
    String java = ProcessHandle.current().info().command().orElseThrow();
    Path said = dir.resolve("said.txt");
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                BigPage.class.getName(),
                unit)
            .redirectErrorStream(true)
            .redirectOutput(said.toFile())
            .start();
    boolean ended = p.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly().waitFor();
    }
    String out = Files.readString(said);
    assertThat(ended).as("parsed within a minute: %s", out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out.strip())
        .isEqualTo(
            "https://site.example/og.jpg https://site.example/last.jpg"
                + " | A long page | https://site.example/next");
  }

  /**
   * Parses a generated 16 MiB page, its first argument over and over, and prints its images, title
   * and links.
   */
  public static final class BigPage {
    public static void main(String[] args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(16 << 20);
      out.writeBytes(
          ("<html><head><title>A long page</title>"
                  + "<meta property=og:image content=/og.jpg></head><body>")
              .getBytes(StandardCharsets.UTF_8));
      byte[] unit = args[0].getBytes(StandardCharsets.UTF_8);
      byte[] end =
          "<img src=/last.jpg><a href=/next>more</a></body></html>"
              .getBytes(StandardCharsets.UTF_8);
      while (out.size() + unit.length + end.length <= 16 << 20) {
        out.writeBytes(unit);
      }
      out.writeBytes(end);
      byte[] page = out.toByteArray();
      out = null;
      HtmlPageParser.Parsed parsed =
          new HtmlPageParser("html:site")
              .parseWithLinks(page, "text/html", "https://site.example/", NOW);
      List<CrawlRecord> records = parsed.page().records();
      System.out.println(
          String.join(" ", records.stream().map(CrawlRecord::url).toList())
              + " | "
              + records.get(0).title()
              + " | "
              + String.join(" ", parsed.sameHostLinks()));
    }
  }
}
