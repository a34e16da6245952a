package io.memescope.crawler;

import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.UrlNormalizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Image URLs in HTML (img src and srcset, their lazy-loading data attributes, og:image), and
 * records built from URLs found anywhere.
 */
public final class ImageLinks {
  private ImageLinks() {}

  /** Absolute image URLs in an HTML fragment or page, in document order, without repeats. */
  public static List<String> inHtml(String html, String baseUrl) {
    return inDocument(Jsoup.parse(html, baseUrl));
  }

  /** {@link #inHtml} of a parsed page, its links resolved against the document's base URI. */
  public static List<String> inDocument(Document doc) {
    // A set: a hostile page of a million distinct <img>s cost a million² list scans until
    // 2026-12-07.
    java.util.Set<String> urls = new java.util.LinkedHashSet<>();
    for (Element meta : doc.select("meta[property=og:image], meta[name=twitter:image]")) {
      addIfAbsent(urls, meta.absUrl("content"));
    }
    for (Element img : doc.select("img")) {
      largestFromSrcset(img)
          .ifPresentOrElse(u -> addIfAbsent(urls, u), () -> addIfAbsent(urls, src(img)));
    }
    return List.copyOf(urls);
  }

  /**
   * Lazy loading (WordPress, lazysizes and the like) keeps the real image in a data attribute and a
   * placeholder (a data: URI, a 1-pixel GIF) in {@code src} until a script swaps them; the crawler
   * runs no script, so the data attribute, where present, is the image.
   */
  private static final List<String> SRC = List.of("data-src", "data-lazy-src", "data-original");

  private static final List<String> SRCSET = List.of("data-srcset", "data-lazy-srcset");

  /** The img's image URL, absolute (jsoup resolves it as a browser would). */
  private static String src(Element img) {
    for (String attr : SRC) {
      if (!img.attr(attr).isBlank() && !img.attr(attr).strip().startsWith("data:")) {
        return img.absUrl(attr);
      }
    }
    return img.absUrl("src");
  }

  /** The widest candidate of an img's srcset ("a.jpg 480w, b.jpg 1080w" gives b.jpg). */
  static Optional<String> largestFromSrcset(Element img) {
    String srcset = img.attr("srcset");
    for (String attr : SRCSET) {
      if (!img.attr(attr).isBlank()) {
        srcset = img.attr(attr);
        break;
      }
    }
    if (srcset.isBlank()) {
      return Optional.empty();
    }
    String best = null;
    double bestSize = -1;
    for (String[] candidate : srcsetCandidates(srcset)) {
      double size = 1;
      if (candidate[1] != null) {
        try {
          size = Double.parseDouble(candidate[1].replaceAll("[wx]$", ""));
        } catch (NumberFormatException e) {
          continue;
        }
      }
      if (size > bestSize) {
        bestSize = size;
        best = candidate[0];
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(resolve(img.baseUri(), best)).filter(s -> !s.isEmpty());
  }

  /**
   * A srcset's candidates as (URL, first descriptor or null), split as the HTML standard does: a
   * URL runs to the next whitespace (commas inside it, as in "w_480,c_fill/a.jpg", are part of it;
   * trailing ones end the candidate), its descriptors to the next comma. Splitting at every comma
   * cut such URLs in pieces.
   */
  static List<String[]> srcsetCandidates(String srcset) {
    List<String[]> out = new java.util.ArrayList<>();
    int i = 0;
    int n = srcset.length();
    while (i < n) {
      while (i < n && (Character.isWhitespace(srcset.charAt(i)) || srcset.charAt(i) == ',')) {
        i++;
      }
      int start = i;
      while (i < n && !Character.isWhitespace(srcset.charAt(i))) {
        i++;
      }
      if (start == i) {
        break;
      }
      String url = srcset.substring(start, i);
      String descriptor = null;
      if (url.endsWith(",")) {
        url = url.replaceAll(",+$", "");
      } else {
        int end = srcset.indexOf(',', i);
        String descriptors = srcset.substring(i, end < 0 ? n : end).strip();
        descriptor = descriptors.isEmpty() ? null : descriptors.split("\\s+")[0];
        i = end < 0 ? n : end + 1;
      }
      if (!url.isEmpty()) {
        out.add(new String[] {url, descriptor});
      }
    }
    return out;
  }

  private static String resolve(String base, String relative) {
    try {
      return java.net.URI.create(base).resolve(relative.replace(" ", "%20")).toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static void addIfAbsent(java.util.Set<String> urls, String url) {
    if (url != null && !url.isEmpty() && !url.startsWith("data:")) {
      urls.add(url);
    }
  }

  /**
   * Records for {@code urls}; {@code local} for the user's own sources (a URL list file), which may
   * name {@code file:} URLs.
   */
  public static List<CrawlRecord> records(
      List<String> urls,
      String source,
      Instant now,
      String title,
      String page,
      String author,
      Map<String, String> extra,
      Map<String, Integer> skipped,
      boolean local) {
    List<CrawlRecord> records = new ArrayList<>();
    for (String url : urls) {
      try {
        records.add(
            CrawlRecord.of(
                local ? UrlNormalizer.normalise(url) : UrlNormalizer.normaliseRemote(url),
                source,
                now,
                title,
                page,
                author,
                new LinkedHashMap<>(extra)));
      } catch (IllegalArgumentException e) {
        skipped.merge("bad_url", 1, Integer::sum);
      }
    }
    return records;
  }
}
