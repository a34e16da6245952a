package io.memescope.crawler.html;

import io.memescope.core.records.UrlNormalizer;
import io.memescope.crawler.ImageLinks;
import io.memescope.crawler.SourcePage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import okhttp3.MediaType;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.parser.Parser;
import org.jsoup.parser.StreamParser;

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
    String host = lenient == null ? null : lenient.host();
    // Streamed: each element is read as it closes and then dropped, so that a page's size in
    // memory is its bytes and what it yields, not its whole tree. Until 2026-12-07 the page was
    // parsed into one tree: a 16 MB page (crawler.max-response-bytes) of small elements took
    // about ten times that, more than the crawler service's heap, and its source failed on it with
    // an OutOfMemoryError at every pass.
    boolean titled = false;
    String ogTitle = null;
    Set<String> metaImages = new LinkedHashSet<>();
    Set<String> images = new LinkedHashSet<>();
    Set<String> links = new LinkedHashSet<>();
    try (StreamParser stream =
        new StreamParser(Parser.htmlParser()).parse(reader(body, contentType, pageUrl), pageUrl)) {
      for (Iterator<Element> it = stream.iterator(); it.hasNext(); ) {
        Element e = it.next();
        switch (e.normalName()) {
          case "meta" -> {
            ImageLinks.addIfAbsent(metaImages, ImageLinks.ofMeta(e));
            if (ogTitle == null
                && e.attr("property").equalsIgnoreCase("og:title")
                && e.hasAttr("content")) {
              ogTitle = e.attr("content");
            }
          }
          case "img" -> ImageLinks.addIfAbsent(images, ImageLinks.ofImg(e));
          case "title" -> {
            // The document's title is the first in <head>: kept, for jsoup's Document.title().
            if (!titled && e.closest("head") != null) {
              titled = true;
              continue;
            }
          }
          case "a" -> {
            String link = sameHostLink(e.absUrl("href"), host);
            if (link != null) {
              links.add(link);
            }
          }
          case "html", "head" -> {
            continue; // the title's place (their other elements are gone by now)
          }
          default -> {}
        }
        // The text and comments before it go too, last first (cheap, at the end of the parent's
        // children): left, a page of 16 MB of "<br>x" kept millions of them under <body>, and
        // each element's removal, which reindexes its parent's children, took hours in all.
        for (Node before = e.previousSibling();
            before != null && !(before instanceof Element);
            before = e.previousSibling()) {
          before.remove();
        }
        e.remove();
      }
      if (ogTitle == null || ogTitle.isBlank()) {
        ogTitle = stream.document().title();
      }
    }
    metaImages.addAll(images);
    Map<String, Integer> skipped = new LinkedHashMap<>();
    SourcePage page =
        new SourcePage(
            ImageLinks.records(
                List.copyOf(metaImages),
                source,
                now,
                ogTitle.isBlank() ? null : ogTitle.strip(),
                pageUrl,
                null,
                Map.of(),
                skipped,
                false),
            skipped,
            Optional.empty());
    return new Parsed(page, List.copyOf(links));
  }

  /**
   * The normalised http(s) link to {@code href} (fragment dropped) if it is on {@code host}, read
   * leniently as OkHttp reads it (a link to /search?q=a|b is followed, not dropped); else null.
   */
  private static String sameHostLink(String href, String host) {
    okhttp3.HttpUrl link = okhttp3.HttpUrl.parse(href);
    if (link == null || host == null || !host.equals(link.host())) {
      return null;
    }
    try {
      return UrlNormalizer.normalise(href);
    } catch (IllegalArgumentException e) {
      return null; // not a link we can follow
    }
  }

  /**
   * The page's characters: decoded by the charset of {@code contentType}, else of a byte-order mark
   * or the page's own {@code <meta charset>} (jsoup's detection, which reads only the first 5 KB,
   * so only those are parsed for it), else UTF-8; Latin-1 and ASCII as windows-1252. A byte-order
   * mark wins over the header, as in jsoup and browsers, and is not part of the text.
   */
  private static Reader reader(byte[] body, String contentType, String pageUrl) {
    String declared = charset(contentType);
    Charset charset;
    try {
      charset =
          Jsoup.parse(
                  new ByteArrayInputStream(body, 0, Math.min(body.length, DETECTION_BYTES)),
                  declared,
                  pageUrl)
              .charset();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail to read
    }
    if (LATIN1_OR_ASCII.contains(charset)) {
      charset = Charset.forName(WINDOWS_1252);
    }
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), charset));
    try {
      reader.mark(1);
      if (reader.read() != '\ufeff') {
        reader.reset();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return reader;
  }

  /** What jsoup reads of a page to find its charset. */
  private static final int DETECTION_BYTES = 5 * 1024;

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
