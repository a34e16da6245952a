package io.memescope.crawler.feed;

import com.rometools.modules.mediarss.MediaEntryModule;
import com.rometools.modules.mediarss.MediaModule;
import com.rometools.modules.mediarss.types.MediaContent;
import com.rometools.modules.mediarss.types.Thumbnail;
import com.rometools.rome.feed.synd.SyndContent;
import com.rometools.rome.feed.synd.SyndEnclosure;
import com.rometools.rome.feed.synd.SyndEntry;
import com.rometools.rome.feed.synd.SyndFeed;
import com.rometools.rome.io.FeedException;
import com.rometools.rome.io.SyndFeedInput;
import com.rometools.rome.io.XmlReader;
import io.memescope.core.records.CrawlRecord;
import io.memescope.crawler.ImageLinks;
import io.memescope.crawler.ParseTurns;
import io.memescope.crawler.SourcePage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * RSS and Atom feeds (Rome; DOCTYPEs refused, so no external entities): per entry, image
 * enclosures, Media RSS content and thumbnails, and images inside the entry's HTML content.
 */
public final class FeedParser {
  private static final Pattern IMAGE_URL =
      Pattern.compile("(?i).*\\.(jpe?g|png|gif|webp|bmp)(\\?.*)?$");

  private final String source;

  public FeedParser(String source) {
    this.source = source;
  }

  /**
   * One page: a feed is read whole; malformed XML is an {@link IOException} that says so. Its tree
   * (Rome's, 10 to 20 times the feed's bytes) is built when no other tree is ({@link ParseTurns}).
   */
  public SourcePage parse(byte[] body, String feedUrl, Instant now) throws IOException {
    return ParseTurns.alone(() -> parseAlone(body, feedUrl, now));
  }

  private SourcePage parseAlone(byte[] body, String feedUrl, Instant now) throws IOException {
    SyndFeed feed;
    try {
      SyndFeedInput input = new SyndFeedInput();
      input.setAllowDoctypes(false);
      feed = input.build(new XmlReader(new ByteArrayInputStream(body)));
    } catch (FeedException | IllegalArgumentException e) {
      throw new IOException("not a valid RSS or Atom feed: " + e.getMessage(), e);
    }
    List<CrawlRecord> records = new ArrayList<>();
    Map<String, Integer> skipped = new LinkedHashMap<>();
    for (SyndEntry entry : feed.getEntries()) {
      String base = entry.getLink() != null ? resolve(feedUrl, entry.getLink()) : feedUrl;
      List<String> urls = imageUrls(entry, base);
      if (urls.isEmpty()) {
        skipped.merge("no_image", 1, Integer::sum);
        continue;
      }
      Map<String, String> extra = new LinkedHashMap<>();
      Optional.ofNullable(
              entry.getPublishedDate() != null ? entry.getPublishedDate() : entry.getUpdatedDate())
          .ifPresent(d -> extra.put("published", d.toInstant().toString()));
      Optional.ofNullable(feed.getTitle()).ifPresent(t -> extra.put("feed", t));
      records.addAll(
          ImageLinks.records(
              urls,
              source,
              now,
              blankToNull(entry.getTitle()),
              entry.getLink() == null ? null : base,
              blankToNull(entry.getAuthor()),
              extra,
              skipped,
              false));
    }
    return new SourcePage(records, skipped, Optional.empty());
  }

  private static List<String> imageUrls(SyndEntry entry, String base) {
    List<String> urls = new ArrayList<>();
    for (SyndEnclosure enclosure : entry.getEnclosures()) {
      String type = enclosure.getType() == null ? "" : enclosure.getType();
      if (type.startsWith("image/")
          || IMAGE_URL.matcher(String.valueOf(enclosure.getUrl())).matches()) {
        add(urls, resolve(base, enclosure.getUrl()));
      }
    }
    if (entry.getModule(MediaModule.URI) instanceof MediaEntryModule media) {
      mediaImages(media.getMediaContents(), media.getMetadata(), base, urls);
      // Alternatives of one item (sizes, formats) come wrapped in <media:group>: until
      // 2026-12-07 such items were skipped as no_image.
      for (com.rometools.modules.mediarss.types.MediaGroup group : media.getMediaGroups()) {
        mediaImages(group.getContents(), group.getMetadata(), base, urls);
      }
    }
    List<SyndContent> html = new ArrayList<>(entry.getContents());
    if (entry.getDescription() != null) {
      html.add(entry.getDescription());
    }
    for (SyndContent content : html) {
      if (content.getValue() != null) {
        ImageLinks.inHtml(content.getValue(), base).forEach(u -> add(urls, u));
      }
    }
    return urls;
  }

  private static void mediaImages(
      MediaContent[] contents,
      com.rometools.modules.mediarss.types.Metadata metadata,
      String base,
      List<String> urls) {
    for (MediaContent content : contents) {
      boolean image =
          "image".equals(content.getMedium())
              || (content.getType() != null && content.getType().startsWith("image/"))
              || (content.getReference() != null
                  && IMAGE_URL.matcher(content.getReference().toString()).matches());
      if (image && content.getReference() != null) {
        add(urls, resolve(base, content.getReference().toString()));
      }
    }
    if (metadata != null) {
      for (Thumbnail thumbnail : metadata.getThumbnail()) {
        add(urls, resolve(base, thumbnail.getUrl().toString()));
      }
    }
  }

  private static void add(List<String> urls, String url) {
    if (url != null && !urls.contains(url)) {
      urls.add(url);
    }
  }

  private static String resolve(String base, String url) {
    if (url == null) {
      return null;
    }
    try {
      return URI.create(base).resolve(url.strip().replace(" ", "%20")).toString();
    } catch (IllegalArgumentException e) {
      return url;
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
