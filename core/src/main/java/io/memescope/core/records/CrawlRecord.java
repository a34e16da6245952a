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

  /** A record of the current version for an already normalised URL. */
  public static CrawlRecord of(
      String normalisedUrl,
      String source,
      Instant discoveredAt,
      String title,
      String page,
      String author,
      Map<String, String> extra) {
    return new CrawlRecord(
        VERSION,
        normalisedUrl,
        UrlHash.of(normalisedUrl),
        source,
        discoveredAt,
        title,
        page,
        author,
        extra);
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
