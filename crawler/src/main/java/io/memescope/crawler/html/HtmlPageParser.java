package io.memescope.crawler.html;

import io.memescope.core.records.UrlNormalizer;
import io.memescope.crawler.ImageLinks;
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
    // Where a redirect led can carry characters java.net.URI refuses (?tags=a|b, {id}, [0]):
    // OkHttp follows such a Location as it is. Read as OkHttp reads it, encoded, it parses
    // everywhere below; until 2026-12-07 it stopped the page, and its source, for good.
    okhttp3.HttpUrl lenient = okhttp3.HttpUrl.parse(pageUrl);
    if (lenient != null) {
      pageUrl = lenient.uri().toString();
    }
    Document doc;
    try {
      String declared = charset(contentType);
      doc = Jsoup.parse(new ByteArrayInputStream(body), declared, pageUrl);
      if (declared == null && LATIN1_OR_ASCII.contains(doc.charset())) {
        // The page's own <meta charset="iso-8859-1">: read as browsers read it, too.
        doc = Jsoup.parse(new ByteArrayInputStream(body), WINDOWS_1252, pageUrl);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail to read
    }
    String title = doc.select("meta[property=og:title]").attr("content");
    if (title.isBlank()) {
      title = doc.title();
    }
    Map<String, Integer> skipped = new LinkedHashMap<>();
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
