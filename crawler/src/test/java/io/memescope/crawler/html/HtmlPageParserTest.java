package io.memescope.crawler.html;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.records.CrawlRecord;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HtmlPageParserTest {
  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

  @Test
  void a_page_read_as_a_stream_gives_what_its_whole_tree_gives() {
    // Pages over WHOLE_TREE_BYTES are read as a stream, each element as it closes, and dropped.
    // What they give must be what the page's tree gives: images in document order, og:image
    // first, resolved against the first <base>, a title from <head> only.
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
    HtmlPageParser.Found tree = same(html, url);
    assertThat(tree.images())
        .containsExactly(
            "https://site.example/b/og.jpg",
            "https://site.example/tw.png",
            "https://site.example/b/in-link.jpg",
            "https://site.example/b/p2.jpg",
            "https://site.example/b/cell.png",
            "https://site.example/b/deep.gif",
            "https://site.example/b/tpl.jpg");
    // The first og:title with a content attribute is empty: the <head>'s title.
    assertThat(tree.title()).isEqualTo("First title");
    assertThat(tree.links())
        .containsExactly("https://site.example/p/1", "https://site.example/p/2");

    // What a first streamed version lost (a reviewer's examples): elements the parser moves out
    // of a table before it, and never hands out as closed; an element handed out while still
    // open (misnested markup), whose later content then had no base URI to resolve against; and
    // URLs before a <base>, resolved against the page's own URL.
    assertThat(
            same(
                    "<table><img src=foster.jpg><tr><td><img src=cell.jpg></table>"
                        + "<table><a href=/p/3>x</a><tr><td>y</table>",
                    url)
                .links())
        .containsExactly("https://site.example/p/3");
    assertThat(
            same("<a href=/x><span><div>t</a></a><img src=rel.jpg><a href=/y>y</a></div>", url)
                .images())
        .containsExactly("https://site.example/dir/rel.jpg");
    assertThat(
            same(
                    "<meta property=og:image content=og.jpg><meta charset=utf-8>"
                        + "<base href=https://cdn.example/b/><img src=i.jpg>",
                    url)
                .images())
        .containsExactly("https://cdn.example/b/og.jpg", "https://cdn.example/b/i.jpg");
  }

  @Test
  void a_page_read_as_a_stream_is_decoded_as_its_whole_tree_is() {
    Charset cp1252 = Charset.forName("windows-1252");
    String page =
        "<html><head>%s<title>Caf\u00e9 \u2013 m\u00eames</title></head>"
            + "<body><img src='/m/caf\u00e9.jpg'></body></html>";
    String url = "https://site.example/";
    byte[] withMeta = String.format(page, "<meta charset=\"windows-1252\">").getBytes(cp1252);
    byte[] bare = String.format(page, "").getBytes(cp1252);
    String japanese = "<html><head><title>\u30df\u30fc\u30e0</title></head><body>x</body></html>";
    Object[][] cases = {
      {withMeta, null},
      {
        String.format(
                page,
                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">")
            .getBytes(cp1252),
        "text/html"
      },
      {
        String.format(page, "<meta charset=\"utf-8\">").getBytes(cp1252),
        "text/html; charset=cp1252"
      },
      {bare, "text/html;charset=\"ISO-8859-1\""},
      {withMeta, "text/html; charset=x-no-such"},
      {("\ufeff" + String.format(page, "")).getBytes(StandardCharsets.UTF_16BE), "text/html"},
      {
        ("\ufeff" + String.format(page, "")).getBytes(StandardCharsets.UTF_8),
        "text/html; charset=cp1252"
      },
      {String.format(page, "").getBytes(StandardCharsets.UTF_8), null},
      // Decoded by Java, but not encoded: jsoup's Document.charset() would say UTF-8.
      {japanese.getBytes(Charset.forName("ISO-2022-JP")), "text/html; charset=x-JISAutoDetect"},
    };
    for (Object[] c : cases) {
      byte[] body = (byte[]) c[0];
      String type = (String) c[1];
      HtmlPageParser.Found tree = HtmlPageParser.whole(body, type, url, "site.example");
      HtmlPageParser.Found stream = HtmlPageParser.streamed(body, type, url, "site.example");
      assertThat(stream).as("%s", type).isEqualTo(tree);
      assertThat(tree.title())
          .as("%s", type)
          .isIn("Caf\u00e9 \u2013 m\u00eames", "\u30df\u30fc\u30e0");
    }
  }

  /**
   * What {@code html} gives read as a stream, which must be what its tree gives (in another order
   * only where the parser moves elements out of a table).
   */
  private static HtmlPageParser.Found same(String html, String url) {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    HtmlPageParser.Found tree = HtmlPageParser.whole(body, null, url, "site.example");
    HtmlPageParser.Found stream = HtmlPageParser.streamed(body, null, url, "site.example");
    assertThat(stream.images()).containsExactlyInAnyOrderElementsOf(tree.images());
    assertThat(stream.links()).containsExactlyInAnyOrderElementsOf(tree.links());
    assertThat(stream.title()).isEqualTo(tree.title());
    if (!html.contains("<table>")) {
      assertThat(stream).isEqualTo(tree);
    }
    return tree;
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
