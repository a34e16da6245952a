package io.memescope.crawler.html;

import io.memescope.core.records.UrlNormalizer;
import io.memescope.crawler.ImageLinks;
import io.memescope.crawler.ParseTurns;
import io.memescope.crawler.SourcePage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import okhttp3.MediaType;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * An HTML page's images (img src/srcset, og:image), titled by og:title or the page title, and its
 * links to other pages on the same host.
 */
public final class HtmlPageParser {
  private final String source;

  public HtmlPageParser(String source) {
    this.source = source;
  }

  /** A page's images, and the normalised same-host http(s) links in it, fragments removed. */
  public record Parsed(SourcePage page, List<String> sameHostLinks) {}

  public SourcePage parse(byte[] body, String pageUrl, Instant now) {
    return parseWithLinks(body, null, pageUrl, now).page();
  }

  /**
   * @param contentType the response's {@code Content-Type}, or null: its charset decodes the body;
   *     without one (or with one this JVM does not know), a byte-order mark or the page's own
   *     {@code <meta charset>} does, and UTF-8 where there is neither
   */
  public Parsed parseWithLinks(byte[] body, String contentType, String pageUrl, Instant now) {
    return parseWithLinks(body, contentType, pageUrl, now, false);
  }

  /**
   * As {@link #parseWithLinks(byte[], String, String, Instant)}, for a body that is only the start
   * of its page when {@code cut} (the download stopped there): counted as {@code page_cut}.
   */
  public Parsed parseWithLinks(
      byte[] body, String contentType, String pageUrl, Instant now, boolean cut) {
    // One tree at a time in a process: the crawler service reads four sources at once.
    return ParseTurns.alone(() -> parseAlone(body, contentType, pageUrl, now, cut));
  }

  private Parsed parseAlone(
      byte[] body, String contentType, String pageUrl, Instant now, boolean cut) {
    // Where a redirect led can carry characters java.net.URI refuses (?tags=a|b, {id}, [0]):
    // OkHttp follows such a Location as it is. Read as OkHttp reads it, encoded, it parses
    // everywhere below; until 2026-12-07 it stopped the page, and its source, for good.
    okhttp3.HttpUrl lenient = okhttp3.HttpUrl.parse(pageUrl);
    if (lenient != null) {
      pageUrl = lenient.uri().toString();
    }
    Map<String, Integer> skipped = new LinkedHashMap<>();
    int read = Math.min(body.length, MAX_PARSED_BYTES);
    if (read < body.length || cut) {
      skipped.put("page_cut", 1);
    }
    Document doc;
    try {
      String declared = charset(contentType);
      doc = Jsoup.parse(new ByteArrayInputStream(body, 0, read), declared, pageUrl);
      if (declared == null && LATIN1_OR_ASCII.contains(doc.charset())) {
        // The page's own <meta charset="iso-8859-1">: read as browsers read it, too (the first
        // tree let go before the second is built).
        doc = null;
        doc = Jsoup.parse(new ByteArrayInputStream(body, 0, read), WINDOWS_1252, pageUrl);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail to read
    }
    String title = doc.select("meta[property=og:title]").attr("content");
    if (title.isBlank()) {
      title = doc.title();
    }
    List<String> urls = ImageLinks.inDocument(doc);
    SourcePage page =
        new SourcePage(
            ImageLinks.records(
                urls,
                source,
                now,
                title.isBlank() ? null : title.strip(),
                pageUrl,
                null,
                Map.of(),
                skipped,
                false),
            skipped,
            Optional.empty());
    String host = lenient == null ? null : lenient.host();
    Set<String> links = new LinkedHashSet<>();
    for (Element a : doc.select("a[href]")) {
      String href = a.absUrl("href");
      // http(s) only, read leniently as above (a link to /search?q=a|b is followed, not dropped).
      okhttp3.HttpUrl link = okhttp3.HttpUrl.parse(href);
      if (link == null || host == null || !host.equals(link.host())) {
        continue;
      }
      try {
        links.add(UrlNormalizer.normalise(href)); // drops the fragment too
      } catch (IllegalArgumentException e) {
        // not a link we can follow
      }
    }
    return new Parsed(page, List.copyOf(links));
  }

  /**
   * The most of a page that is parsed: its first 2 MiB (a page cut there counts as skipped,
   * "page_cut"), as search engines' crawlers read only the start of very large pages. A page's tree
   * takes 10 to 40 times its bytes: until 2026-12-07 pages were parsed whole, up to
   * crawler.max-response-bytes (16 MiB), and one of short paragraphs took more than the crawler
   * service's heap of 256 MB, so its source failed on it with an OutOfMemoryError at every pass.
   * Parsing as a stream was tried and given up: jsoup's StreamParser gave other images, links and
   * titles than the tree on misnested markup, and its removals turned quadratic on hostile pages.
   */
  static final int MAX_PARSED_BYTES = 2 << 20;

  /**
   * The charset a {@code Content-Type} header names, if this JVM knows it; else null. Latin-1 and
   * ASCII labels mean windows-1252, as in browsers (the WHATWG Encoding standard): pages so
   * labelled use its curly quotes, dashes and € all the time, which strict Latin-1 reads as control
   * characters.
   */
  static String charset(String contentType) {
    MediaType type = contentType == null ? null : MediaType.parse(contentType);
    Charset charset = type == null ? null : type.charset(null);
    if (charset == null) {
      return null;
    }
    return LATIN1_OR_ASCII.contains(charset) ? WINDOWS_1252 : charset.name();
  }

  private static final String WINDOWS_1252 = "windows-1252";
  private static final java.util.Set<Charset> LATIN1_OR_ASCII =
      java.util.Set.of(StandardCharsets.ISO_8859_1, StandardCharsets.US_ASCII);
}
