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
 * Image URLs in HTML (img src and srcset, og:image), and records built from URLs found anywhere.
 */
public final class ImageLinks {
  private ImageLinks() {}

  /** Absolute image URLs in an HTML fragment or page, in document order, without repeats. */
  public static List<String> inHtml(String html, String baseUrl) {
    Document doc = Jsoup.parse(html, baseUrl);
    List<String> urls = new ArrayList<>();
    for (Element meta : doc.select("meta[property=og:image], meta[name=twitter:image]")) {
      addIfAbsent(urls, meta.absUrl("content"));
    }
    for (Element img : doc.select("img")) {
      largestFromSrcset(img)
          .ifPresentOrElse(u -> addIfAbsent(urls, u), () -> addIfAbsent(urls, img.absUrl("src")));
    }
    return urls;
  }

  /** The widest candidate of an img's srcset ("a.jpg 480w, b.jpg 1080w" gives b.jpg). */
  static Optional<String> largestFromSrcset(Element img) {
    String srcset = img.attr("srcset");
    if (srcset.isBlank()) {
      return Optional.empty();
    }
    String best = null;
    double bestSize = -1;
    for (String candidate : srcset.split(",")) {
      String[] parts = candidate.strip().split("\\s+");
      if (parts.length == 0 || parts[0].isEmpty()) {
        continue;
      }
      double size = 1;
      if (parts.length > 1) {
        try {
          size = Double.parseDouble(parts[1].replaceAll("[wx]$", ""));
        } catch (NumberFormatException e) {
          continue;
        }
      }
      if (size > bestSize) {
        bestSize = size;
        best = parts[0];
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(resolve(img.baseUri(), best)).filter(s -> !s.isEmpty());
  }

  private static String resolve(String base, String relative) {
    try {
      return java.net.URI.create(base).resolve(relative.replace(" ", "%20")).toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static void addIfAbsent(List<String> urls, String url) {
    if (url != null && !url.isEmpty() && !url.startsWith("data:") && !urls.contains(url)) {
      urls.add(url);
    }
  }

  /**
   * Records for {@code urls}; unusable URLs are counted under {@code bad_url} in {@code skipped}.
   */
  public static List<CrawlRecord> records(
      List<String> urls,
      String source,
      Instant now,
      String title,
      String page,
      String author,
      Map<String, String> extra,
      Map<String, Integer> skipped) {
    List<CrawlRecord> records = new ArrayList<>();
    for (String url : urls) {
      try {
        records.add(
            CrawlRecord.of(
                UrlNormalizer.normalise(url),
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
