package io.memescope.crawler.html;

import io.memescope.crawler.ImageLinks;
import io.memescope.crawler.SourcePage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

/** An HTML page's images (img src/srcset, og:image), titled by og:title or the page title. */
public final class HtmlPageParser {
  private final String source;

  public HtmlPageParser(String source) {
    this.source = source;
  }

  public SourcePage parse(byte[] body, String pageUrl, Instant now) {
    String html = new String(body, StandardCharsets.UTF_8);
    Document doc = Jsoup.parse(html, pageUrl);
    String title = doc.select("meta[property=og:title]").attr("content");
    if (title.isBlank()) {
      title = doc.title();
    }
    Map<String, Integer> skipped = new LinkedHashMap<>();
    List<String> urls = ImageLinks.inHtml(html, pageUrl);
    return new SourcePage(
        ImageLinks.records(
            urls,
            source,
            now,
            title.isBlank() ? null : title.strip(),
            pageUrl,
            null,
            Map.of(),
            skipped),
        skipped,
        Optional.empty());
  }
}
