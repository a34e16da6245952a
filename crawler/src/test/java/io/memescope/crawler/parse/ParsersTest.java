package io.memescope.crawler.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.feed.FeedParser;
import io.memescope.crawler.html.HtmlPageParser;
import io.memescope.crawler.list.UrlListParser;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParsersTest {
  static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  @Test
  void rss_gives_enclosures_media_content_thumbnails_and_images_in_html() throws Exception {
    String rss =
        """
        <?xml version="1.0"?>
        <rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
          <channel><title>Memes</title><link>https://memes.example/</link><description>d</description>
            <item><title>Enclosed</title><link>https://memes.example/p/1</link>
              <enclosure url="https://cdn.example/1.jpg" type="image/jpeg" length="1"/></item>
            <item><title>Media</title><link>https://memes.example/p/2</link>
              <media:content url="https://cdn.example/2.png" medium="image"/>
              <media:thumbnail url="https://cdn.example/2-thumb.png"/></item>
            <item><title>Inline</title><link>https://memes.example/p/3</link>
              <description>&lt;p&gt;look &lt;img src="/img/3.gif"&gt;&lt;/p&gt;</description></item>
            <item><title>Text only</title><link>https://memes.example/p/4</link><description>none</description></item>
            <item><title>Grouped</title><link>https://memes.example/p/5</link>
              <media:group><media:content url="https://cdn.example/5-small.jpg" medium="image"/>
                <media:content url="https://cdn.example/5.jpg" type="image/jpeg"/>
                <media:thumbnail url="https://cdn.example/5-thumb.jpg"/></media:group></item>
          </channel>
        </rss>
        """;
    SourcePage page =
        new FeedParser("feed:memes")
            .parse(rss.getBytes(StandardCharsets.UTF_8), "https://memes.example/feed", NOW);

    assertThat(page.records())
        .extracting(CrawlRecord::url)
        .containsExactly(
            "https://cdn.example/1.jpg",
            "https://cdn.example/2.png",
            "https://cdn.example/2-thumb.png",
            "https://memes.example/img/3.gif",
            // <media:group> (until 2026-12-07: skipped as no_image)
            "https://cdn.example/5-small.jpg",
            "https://cdn.example/5.jpg",
            "https://cdn.example/5-thumb.jpg");
    assertThat(page.records().get(0).title()).isEqualTo("Enclosed");
    assertThat(page.records().get(0).page()).isEqualTo("https://memes.example/p/1");
    assertThat(page.skipped()).containsEntry("no_image", 1);
  }

  @Test
  void atom_enclosure_links_are_read() throws Exception {
    String atom =
        """
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-23T00:00:00Z</updated>
          <entry><title>One</title><id>urn:1</id><updated>2026-11-23T00:00:00Z</updated>
            <link rel="alternate" href="https://a.example/1"/>
            <link rel="enclosure" type="image/webp" href="https://a.example/1.webp"/>
            <author><name>ann</name></author></entry>
        </feed>
        """;
    SourcePage page =
        new FeedParser("feed:a")
            .parse(atom.getBytes(StandardCharsets.UTF_8), "https://a.example/atom", NOW);

    assertThat(page.records())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.url()).isEqualTo("https://a.example/1.webp");
              assertThat(r.author()).isEqualTo("ann");
              assertThat(r.extra()).containsEntry("published", "2026-11-23T00:00:00Z");
            });
  }

  @Test
  void malformed_xml_and_external_entities_are_refused_clearly() {
    FeedParser parser = new FeedParser("feed:x");
    assertThatThrownBy(
            () -> parser.parse("<rss><channel><item>".getBytes(), "https://x.example/", NOW))
        .hasMessageContaining("not a valid RSS or Atom feed");
    String xxe =
        """
        <?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <rss version="2.0"><channel><title>&xxe;</title></channel></rss>
        """;
    assertThatThrownBy(() -> parser.parse(xxe.getBytes(), "https://x.example/", NOW))
        .hasMessageContaining("not a valid RSS or Atom feed");
  }

  @Test
  void html_gives_og_image_and_the_widest_srcset_candidate() {
    String html =
        """
        <html><head><title>Page title</title>
          <meta property="og:image" content="https://site.example/og.jpg"></head>
        <body><img src="small.jpg" srcset="small.jpg 480w, big.jpg 1080w"><img src="/a/plain.png">
          <img src="data:image/png;base64,AAAA">
          <img src="c.jpg" srcset="/cdn/w_480,c_fill/c.jpg 480w,/cdn/w_1080,c_fill/c.jpg 1080w">
          <img src="d.jpg" srcset="d1.jpg, d2.jpg 2x"></body></html>
        """;
    SourcePage page =
        new HtmlPageParser("html:site")
            .parse(html.getBytes(), "https://site.example/dir/page.html", NOW);

    assertThat(page.records())
        .extracting(CrawlRecord::url)
        .containsExactly(
            "https://site.example/og.jpg",
            "https://site.example/dir/big.jpg",
            "https://site.example/a/plain.png",
            // Commas inside a URL (image CDNs' transformations) are part of it.
            "https://site.example/cdn/w_1080,c_fill/c.jpg",
            // A candidate with no descriptor counts as 1x.
            "https://site.example/dir/d2.jpg");
    assertThat(page.records().get(0).title()).isEqualTo("Page title");
  }

  @Test
  void a_page_whose_url_java_net_uri_refuses_gives_its_images_and_links() {
    // A redirect to /gallery?tags=a|b reaches the parser as OkHttp followed it, | and all: until
    // 2026-12-07 java.net.URI's refusal stopped the page, and the source, every pass.
    String html =
        "<img src='pic.jpg'> <a href='page2?tags=a|b'>next</a> <a href='/t/{x}'>t</a>"
            + " <a href='https://other.example/'>o</a>";
    HtmlPageParser.Parsed parsed =
        new HtmlPageParser("html:site")
            .parseWithLinks(html.getBytes(), null, "https://site.example/g/gallery?tags=a|b", NOW);
    assertThat(parsed.page().records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://site.example/g/pic.jpg");
    assertThat(parsed.sameHostLinks())
        .containsExactly(
            "https://site.example/g/page2?tags=a%7Cb", "https://site.example/t/%7Bx%7D");
  }

  @Test
  void a_page_not_in_utf8_is_decoded_by_its_header_its_meta_charset_or_its_byte_order_mark() {
    // Until 2026-12-06 every page was decoded as UTF-8: a Latin-1 "é" became U+FFFD in titles
    // and image URLs (which then named no image on the site).
    java.nio.charset.Charset latin1 = java.nio.charset.Charset.forName("windows-1252");
    HtmlPageParser parser = new HtmlPageParser("html:site");
    String page =
        "<html><head>%s<title>Caf\u00e9 \u2013 m\u00eames</title></head>"
            + "<body><img src='/m/caf\u00e9.jpg'></body></html>";
    byte[] withMeta = String.format(page, "<meta charset=\"windows-1252\">").getBytes(latin1);
    byte[] httpEquiv =
        String.format(
                page,
                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">")
            .getBytes(latin1);
    byte[] wrongMeta = String.format(page, "<meta charset=\"utf-8\">").getBytes(latin1);
    byte[] latin1Meta = String.format(page, "<meta charset=\"iso-8859-1\">").getBytes(latin1);
    byte[] bare = String.format(page, "").getBytes(latin1);
    byte[] utf16 = ("\ufeff" + String.format(page, "")).getBytes(StandardCharsets.UTF_16BE);
    String url = "https://site.example/";

    for (var c :
        List.of(
            parser.parseWithLinks(withMeta, null, url, NOW),
            parser.parseWithLinks(httpEquiv, "text/html", url, NOW),
            // The header wins over the page's own word, as in browsers.
            parser.parseWithLinks(wrongMeta, "text/html; charset=windows-1252", url, NOW),
            parser.parseWithLinks(bare, "text/html;charset=\"ISO-8859-1\"", url, NOW),
            parser.parseWithLinks(latin1Meta, null, url, NOW),
            // A charset this JVM does not know is ignored: the meta tag decides.
            parser.parseWithLinks(withMeta, "text/html; charset=x-no-such", url, NOW),
            parser.parseWithLinks(utf16, "text/html", url, NOW))) {
      CrawlRecord r = c.page().records().get(0);
      // (ISO-8859-1, in a header or a meta tag, is read as windows-1252 as browsers do: 0x96 is
      // the dash.)
      assertThat(r.title()).isEqualTo("Caf\u00e9 \u2013 m\u00eames");
      assertThat(r.url()).isEqualTo("https://site.example/m/caf%C3%A9.jpg");
    }
    // Without any word on its encoding, a page is read as UTF-8.
    CrawlRecord utf8 =
        parser
            .parseWithLinks(
                String.format(page, "").getBytes(StandardCharsets.UTF_8), null, url, NOW)
            .page()
            .records()
            .get(0);
    assertThat(utf8.title()).isEqualTo("Caf\u00e9 \u2013 m\u00eames");
  }

  @Test
  void lazily_loaded_images_give_the_real_urls_not_their_placeholders() {
    // The crawler runs no script: the data attribute a lazy loader would swap in is the image.
    String html =
        """
        <html><body><img src="small.jpg" srcset="small.jpg 480w, big.jpg 1080w">
          <img src="data:image/gif;base64,R0lGOD" data-src="lazy/a.jpg" class="lazyload">
          <img src="/blank.gif" data-lazy-src="lazy/b.jpg">
          <img src="data:image/gif;base64,R0lGOD" data-srcset="lazy/c-480.jpg 480w, lazy/c-960.jpg 960w">
          <img src="d.jpg" data-src="data:image/gif;base64,R0lGOD">
        </body></html>
        """;
    SourcePage page =
        new HtmlPageParser("html:site").parse(html.getBytes(), "https://site.example", NOW);
    assertThat(page.records())
        .extracting(CrawlRecord::url)
        .containsExactly(
            "https://site.example/big.jpg",
            "https://site.example/lazy/a.jpg",
            "https://site.example/lazy/b.jpg",
            "https://site.example/lazy/c-960.jpg",
            "https://site.example/d.jpg");
  }

  @Test
  void file_urls_are_refused_from_the_web_and_kept_from_the_users_own_lists() throws Exception {
    // A file: URL names a file on the machine that fetches it. Until 2026-12-06 a feed or a
    // Reddit post could name one, and the ingest job read it (within ingest.fetch.file-roots)
    // and indexed it under the feed's title.
    String rss =
        """
        <?xml version="1.0"?>
        <rss version="2.0"><channel><title>M</title><link>https://m.example/</link><description>d</description>
          <item><title>Local</title><link>https://m.example/p/1</link>
            <enclosure url="file:///data/memes/x.jpg" type="image/jpeg" length="1"/></item>
          <item><title>Remote</title><link>https://m.example/p/2</link>
            <enclosure url="https://cdn.example/2.jpg" type="image/jpeg" length="1"/></item>
        </channel></rss>
        """;
    SourcePage feed =
        new FeedParser("feed:m")
            .parse(rss.getBytes(StandardCharsets.UTF_8), "https://m.example/feed", NOW);
    assertThat(feed.records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://cdn.example/2.jpg");
    assertThat(feed.skipped()).containsEntry("bad_url", 1);

    String listing =
        """
        {"kind":"Listing","data":{"after":null,"children":[
          {"kind":"t3","data":{"name":"t3_a","title":"Local","url":"file:///data/memes/y.png"}},
          {"kind":"t3","data":{"name":"t3_b","title":"Remote","url":"https://i.example/z.png"}}]}}
        """;
    SourcePage reddit =
        new io.memescope.crawler.reddit.RedditListingParser(
                "reddit:m", "https://www.reddit.com", false)
            .parse(listing.getBytes(StandardCharsets.UTF_8), NOW);
    assertThat(reddit.records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://i.example/z.png");
    assertThat(reddit.skipped()).containsEntry("bad_url", 1);

    SourcePage list = new UrlListParser("list:mine").page("file:///data/memes/x.jpg\n", 0, 10, NOW);
    assertThat(list.records())
        .extracting(CrawlRecord::url)
        .containsExactly("file:///data/memes/x.jpg");
  }

  @Test
  void url_lists_in_text_jsonl_and_csv_are_paged_by_line() throws Exception {
    UrlListParser parser = new UrlListParser("list:x");
    String text =
        "# my memes\nhttps://a.example/1.jpg\n\nhttps://a.example/2.jpg\nhttps://a.example/3.jpg\n";
    SourcePage first = parser.page(text, 0, 3, NOW);
    assertThat(first.records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://a.example/1.jpg");
    assertThat(first.after()).contains("3");
    SourcePage rest = parser.page(text, 3, 3, NOW);
    assertThat(rest.records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://a.example/2.jpg", "https://a.example/3.jpg");
    assertThat(rest.after()).isEmpty();

    SourcePage jsonl =
        parser.page(
            "{\"url\":\"https://b.example/x.png\",\"title\":\"T\",\"score\":5}\n", 0, 10, NOW);
    assertThat(jsonl.records())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.title()).isEqualTo("T");
              assertThat(r.extra()).containsEntry("score", "5");
            });

    SourcePage csv = parser.page("title,url\n\"Hi, there\",https://c.example/y.gif\n", 0, 10, NOW);
    assertThat(csv.records())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.url()).isEqualTo("https://c.example/y.gif");
              assertThat(r.title()).isEqualTo("Hi, there");
            });

    // A broken line is skipped and counted; the lines around it still count.
    SourcePage broken =
        parser.page(
            "{\"url\":\"https://d.example/1.png\"}\n{\"url\": oops}\n"
                + "{\"url\":\"https://d.example/3.png\"}\n",
            0,
            10,
            NOW);
    assertThat(broken.records())
        .extracting(CrawlRecord::url)
        .containsExactly("https://d.example/1.png", "https://d.example/3.png");
    assertThat(broken.skipped()).containsEntry("bad_line", 1);
    // A CSV whose URL column is image_url.
    assertThat(parser.page("image_url,title\nhttps://e.example/z.png,zed\n", 0, 10, NOW).records())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.url()).isEqualTo("https://e.example/z.png");
              assertThat(r.title()).isEqualTo("zed");
            });
    assertThat(parser.page("javascript:alert(1)\n", 0, 10, NOW).skipped())
        .containsEntry("bad_url", 1);
  }
}
