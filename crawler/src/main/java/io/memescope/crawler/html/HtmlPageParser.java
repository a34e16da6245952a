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
import org.jsoup.nodes.Document;
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
    Found found =
        body.length <= WHOLE_TREE_BYTES
            ? whole(body, contentType, pageUrl, host)
            : streamed(body, contentType, pageUrl, host);
    Map<String, Integer> skipped = new LinkedHashMap<>();
    SourcePage page =
        new SourcePage(
            ImageLinks.records(
                found.images(),
                source,
                now,
                found.title().isBlank() ? null : found.title().strip(),
                pageUrl,
                null,
                Map.of(),
                skipped,
                false),
            skipped,
            Optional.empty());
    return new Parsed(page, found.links());
  }

  /**
   * Pages up to this size are parsed into one tree; larger ones as a stream ({@link #streamed}). A
   * tree takes some ten times the page's bytes, up to 20 times for pages of tiny elements.
   */
  static final int WHOLE_TREE_BYTES = 2 << 20;

  /** What a page gives: its images in document order, og:image first, title, same-host links. */
  record Found(List<String> images, String title, List<String> links) {}

  /** The page parsed into one tree. */
  static Found whole(byte[] body, String contentType, String pageUrl, String host) {
    Document doc;
    try {
      String declared = charset(contentType);
      doc = Jsoup.parse(new ByteArrayInputStream(body), declared, pageUrl);
      if (declared == null && LATIN1_OR_ASCII.contains(doc.charset())) {
        // The page's own <meta charset="iso-8859-1">: read as browsers read it, too.
        doc = Jsoup.parse(new ByteArrayInputStream(body), WINDOWS_1252, pageUrl);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail to read
    }
    String title = doc.select("meta[property=og:title]").attr("content");
    if (title.isBlank()) {
      title = doc.title();
    }
    Set<String> links = new LinkedHashSet<>();
    for (Element a : doc.select("a[href]")) {
      String link = sameHostLink(a.absUrl("href"), host);
      if (link != null) {
        links.add(link);
      }
    }
    return new Found(ImageLinks.inDocument(doc), title, List.copyOf(links));
  }

  /**
   * The page read as a stream: each element as it closes, then dropped, so that its size in memory
   * is its bytes and what it yields, not its tree. Until 2026-12-07 every page was parsed into one
   * tree: 16 MB (crawler.max-response-bytes) of small elements did not fit in the crawler service's
   * heap, and the source failed on that page with an OutOfMemoryError at every pass.
   *
   * <p>It gives what the tree gives, with two differences: elements the parser moves out of a table
   * (foster parenting) come last, and a page in a charset Java decodes but cannot encode
   * (ISO-2022-CN) named only by an XML declaration is read as UTF-8.
   */
  static Found streamed(byte[] body, String contentType, String pageUrl, String host) {
    Charset charset = streamCharset(body, contentType, pageUrl);
    // Every URL resolves against the page's first <base href>, wherever it is (as in the tree),
    // so it is looked for first: one more pass, cheap (everything is dropped as it is read).
    String base = pageUrl;
    try (StreamParser stream =
        new StreamParser(Parser.htmlParser()).parse(reader(body, charset), pageUrl)) {
      for (Iterator<Element> it = stream.iterator(); it.hasNext(); ) {
        Element e = it.next();
        if (e.nameIs("base") && !ImageLinks.absolute(e, "href", pageUrl).isEmpty()) {
          break;
        }
        drop(e);
      }
      base = stream.document().baseUri(); // as the parser set it, from the first <base href>
    }
    boolean titled = false;
    String ogTitle = null;
    Set<String> metaImages = new LinkedHashSet<>();
    Set<String> images = new LinkedHashSet<>();
    Set<String> links = new LinkedHashSet<>();
    try (StreamParser stream =
        new StreamParser(Parser.htmlParser()).parse(reader(body, charset), pageUrl)) {
      for (Iterator<Element> it = stream.iterator(); it.hasNext(); ) {
        Element e = it.next();
        switch (e.normalName()) {
          case "title" -> {
            // The document's title is the first in <head>: kept, for jsoup's Document.title().
            if (!titled && e.closest("head") != null) {
              titled = true;
              continue;
            }
          }
          case "html", "head", "#root" -> {
            continue; // the title's place (their other elements are gone by now)
          }
          default -> ogTitle = read(e, base, host, ogTitle, metaImages, images, links);
        }
        // Elements under it that the parser never handed out (those it moved out of a table,
        // before it) are read before they go with it; a misnested one handed out while still
        // open may be read twice, which the sets absorb.
        if (e.childrenSize() > 0) {
          for (Element under : e.select("meta, img, a")) {
            if (under != e) {
              ogTitle = read(under, base, host, ogTitle, metaImages, images, links);
            }
          }
        }
        drop(e);
      }
      // And those left under <html> and <head>.
      for (Element e : stream.document().select("meta, img, a")) {
        ogTitle = read(e, base, host, ogTitle, metaImages, images, links);
      }
      if (ogTitle == null || ogTitle.isBlank()) {
        ogTitle = stream.document().title();
      }
    }
    metaImages.addAll(images);
    return new Found(List.copyOf(metaImages), ogTitle, List.copyOf(links));
  }

  /** Takes what {@code e} gives; returns the og:title, the first found. */
  private static String read(
      Element e,
      String base,
      String host,
      String ogTitle,
      Set<String> metaImages,
      Set<String> images,
      Set<String> links) {
    switch (e.normalName()) {
      case "meta" -> {
        ImageLinks.addIfAbsent(metaImages, ImageLinks.ofMeta(e, base));
        if (ogTitle == null
            && e.attr("property").equalsIgnoreCase("og:title")
            && e.hasAttr("content")) {
          return e.attr("content");
        }
      }
      case "img" -> ImageLinks.addIfAbsent(images, ImageLinks.ofImg(e, base));
      case "a" -> {
        String link = sameHostLink(ImageLinks.absolute(e, "href", base), host);
        if (link != null) {
          links.add(link);
        }
      }
      default -> {}
    }
    return ogTitle;
  }

  /**
   * Drops a read element, and the text and comments before it, last first (cheap, at the end of the
   * parent's children): left, 16 MB of "<br>
   * x" kept millions of them under <body>, and each element's removal, which reindexes its parent's
   * children, took hours in all.
   */
  private static void drop(Element e) {
    for (Node before = e.previousSibling();
        before != null && !(before instanceof Element);
        before = e.previousSibling()) {
      before.remove();
    }
    e.remove();
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
   * The charset of a streamed page, as the tree's parse chooses it: a byte-order mark's, else
   * {@code contentType}'s, else the page's own {@code <meta charset>} or http-equiv in its first 5
   * KB (where jsoup looks), else jsoup's detection there (an XML declaration), else UTF-8; Latin-1
   * and ASCII as windows-1252.
   */
  static Charset streamCharset(byte[] body, String contentType, String pageUrl) {
    Charset found = bom(body);
    if (found == null && charset(contentType) != null) {
      found = Charset.forName(charset(contentType));
    }
    if (found == null) {
      Document first;
      try {
        first =
            Jsoup.parse(
                new ByteArrayInputStream(body, 0, Math.min(body.length, DETECTION_BYTES)),
                null,
                pageUrl);
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a byte array does not fail to read
      }
      for (Element meta : first.select("meta[http-equiv=content-type], meta[charset]")) {
        String name =
            meta.hasAttr("http-equiv")
                ? charset(meta.attr("content"))
                : charset("text/html; charset=" + meta.attr("charset").strip());
        if (name != null) {
          found = Charset.forName(name);
          break;
        }
      }
      if (found == null) {
        found = first.charset();
      }
    }
    return LATIN1_OR_ASCII.contains(found) ? Charset.forName(WINDOWS_1252) : found;
  }

  /** The charset a byte-order mark at the start of {@code body} names, or null. */
  private static Charset bom(byte[] b) {
    if (starts(b, 0x00, 0x00, 0xFE, 0xFF)) {
      return Charset.forName("UTF-32BE");
    }
    if (starts(b, 0xFF, 0xFE, 0x00, 0x00)) {
      return Charset.forName("UTF-32LE");
    }
    if (starts(b, 0xFE, 0xFF)) {
      return StandardCharsets.UTF_16BE;
    }
    if (starts(b, 0xFF, 0xFE)) {
      return StandardCharsets.UTF_16LE;
    }
    if (starts(b, 0xEF, 0xBB, 0xBF)) {
      return StandardCharsets.UTF_8;
    }
    return null;
  }

  private static boolean starts(byte[] b, int... prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((b[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** The page's characters in {@code charset}, without a byte-order mark. */
  private static Reader reader(byte[] body, Charset charset) {
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
