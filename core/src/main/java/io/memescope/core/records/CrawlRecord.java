package io.memescope.core.records;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * An image URL a crawler found, as published to {@code memescope.crawl.urls} (key: {@link
 * #urlHash()}). Versioned JSON: readers accept any record whose {@code v} they know and ignore
 * fields they do not.
 *
 * @param url the normalised URL of the image
 * @param urlHash {@link UrlHash#of} of {@code url}
 * @param source the configured source it came from, e.g. {@code reddit:memes}
 * @param page the page or permalink it was found on, if any
 * @param extra source-specific metadata (score, NSFW flag, subreddit, ...)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record CrawlRecord(
    @JsonProperty("v") int version,
    String url,
    String urlHash,
    String source,
    Instant discoveredAt,
    String title,
    String page,
    String author,
    Map<String, String> extra) {

  public static final int VERSION = 1;

  /**
   * Key of {@link #extra()} for the version of the content behind the URL where a source knows it
   * (a local file's size and modification time): a changed file is announced again under its URL.
   */
  public static final String CONTENT_VERSION = "content-version";

  public CrawlRecord {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(urlHash, "urlHash");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(discoveredAt, "discoveredAt");
    extra = extra == null ? Map.of() : Map.copyOf(extra);
  }

  /** The longest URL taken, image or page, in UTF-8 bytes (what web servers commonly take). */
  public static final int MAX_URL_BYTES = 8192;

  /** The longest title, author or {@link #extra()} value kept, in characters. */
  public static final int MAX_TEXT = 1000;

  /**
   * A record of the current version for an already normalised URL, its text within bounds ({@link
   * #withTextBounded}); throws {@link IllegalArgumentException} for a URL over {@link
   * #MAX_URL_BYTES}. A record from a hostile page (a megabyte of title) would otherwise be refused
   * by Kafka, and hold its whole page, and every page after it, until 2026-12-07.
   */
  public static CrawlRecord of(
      String normalisedUrl,
      String source,
      Instant discoveredAt,
      String title,
      String page,
      String author,
      Map<String, String> extra) {
    int urlBytes = utf8(normalisedUrl);
    if (urlBytes > MAX_URL_BYTES) {
      throw new IllegalArgumentException(
          "URL is " + urlBytes + " bytes long, at most " + MAX_URL_BYTES + " are taken");
    }
    return new CrawlRecord(
            VERSION,
            normalisedUrl,
            UrlHash.of(normalisedUrl),
            source,
            discoveredAt,
            title,
            page,
            author,
            extra)
        .withTextBounded();
  }

  /** The most {@link #extra()} entries kept: {@link #CONTENT_VERSION}, then the first by key. */
  public static final int MAX_EXTRA = 64;

  /**
   * This record with its title, author and {@link #extra()} keys and values cut to {@link
   * #MAX_TEXT} characters (ending in "…"), at most {@link #MAX_EXTRA} extra entries, and a page URL
   * over {@link #MAX_URL_BYTES} dropped; itself where nothing is over.
   */
  public CrawlRecord withTextBounded() {
    String boundedPage = page != null && utf8(page) > MAX_URL_BYTES ? null : page;
    String boundedTitle = cut(title);
    String boundedAuthor = cut(author);
    Map<String, String> boundedExtra = extra;
    boolean extraOver =
        extra.size() > MAX_EXTRA
            || extra.entrySet().stream()
                .anyMatch(e -> e.getKey().length() > MAX_TEXT || e.getValue().length() > MAX_TEXT);
    if (extraOver) {
      Map<String, String> kept = new java.util.LinkedHashMap<>();
      // The content version first: seenKey reads it, and a retry marks itself with it.
      if (extra.containsKey(CONTENT_VERSION)) {
        kept.put(CONTENT_VERSION, cut(extra.get(CONTENT_VERSION)));
      }
      extra.keySet().stream()
          .filter(key -> !key.equals(CONTENT_VERSION))
          .sorted()
          .limit(MAX_EXTRA - kept.size())
          .forEach(key -> kept.put(cut(key), cut(extra.get(key))));
      boundedExtra = kept;
    }
    if (boundedPage == page
        && boundedTitle == title
        && boundedAuthor == author
        && boundedExtra == extra) {
      return this;
    }
    return new CrawlRecord(
        version,
        url,
        urlHash,
        source,
        discoveredAt,
        boundedTitle,
        boundedPage,
        boundedAuthor,
        boundedExtra);
  }

  private static int utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  /** At most {@link #MAX_TEXT} characters, never cutting a surrogate pair; ends in "…" if cut. */
  private static String cut(String text) {
    if (text == null || text.length() <= MAX_TEXT) {
      return text;
    }
    int end = MAX_TEXT - 1;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "\u2026";
  }

  /**
   * The key under which de-duplication remembers this record: the URL hash, or for content with a
   * known version the hash of URL and version, so that a changed file is new again.
   */
  @JsonIgnore
  public String seenKey() {
    String contentVersion = extra.get(CONTENT_VERSION);
    return contentVersion == null ? urlHash : UrlHash.of(url + "#" + contentVersion);
  }
}
