package io.memescope.crawler.reddit;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.records.CrawlRecord;
import io.memescope.core.records.Json;
import io.memescope.core.records.UrlNormalizer;
import io.memescope.crawler.ParseTurns;
import io.memescope.crawler.SourcePage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads a Reddit-style JSON listing page ({@code /r/<sub>/new.json}): one record per image of each
 * post (galleries give several), with title, author, permalink, creation time, score and the NSFW
 * flag; videos, and NSFW posts unless allowed, are skipped and counted by reason.
 */
public final class RedditListingParser {
  private static final Pattern IMAGE_URL =
      Pattern.compile("(?i).*\\.(jpe?g|png|gif|webp|bmp)(\\?.*)?$");

  private final String source;
  private final String site;
  private final boolean allowNsfw;

  /**
   * @param site the site the permalinks are relative to, e.g. {@code https://www.reddit.com}
   */
  public RedditListingParser(String source, String site, boolean allowNsfw) {
    this.source = source;
    this.site = site;
    this.allowNsfw = allowNsfw;
  }

  /**
   * Parses one page; malformed JSON or a page that is not a listing is an {@link IOException}. Its
   * tree is built when no other tree is ({@link ParseTurns}).
   */
  public SourcePage parse(byte[] body, Instant now) throws IOException {
    return ParseTurns.alone(() -> parseAlone(body, now));
  }

  private SourcePage parseAlone(byte[] body, Instant now) throws IOException {
    JsonNode root;
    try {
      root = Json.mapper().readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException("not valid JSON: " + e.getOriginalMessage(), e);
    }
    JsonNode data = root.path("data");
    if (!"Listing".equals(root.path("kind").asText()) || !data.path("children").isArray()) {
      throw new IOException("not a Reddit listing (no kind=Listing with data.children)");
    }
    List<CrawlRecord> records = new ArrayList<>();
    Map<String, Integer> skipped = new LinkedHashMap<>();
    for (JsonNode child : data.path("children")) {
      records.addAll(postRecords(child.path("data"), now, skipped));
    }
    String after = data.path("after").isTextual() ? data.path("after").asText() : null;
    return new SourcePage(records, skipped, Optional.ofNullable(after).filter(a -> !a.isBlank()));
  }

  /**
   * The records of one post (a listing child's {@code data}, or a line of a dump file); what is
   * skipped is counted in {@code skipped} by reason.
   */
  public List<CrawlRecord> postRecords(JsonNode post, Instant now, Map<String, Integer> skipped) {
    List<CrawlRecord> records = new ArrayList<>();
    String skip = skipReason(post);
    if (skip != null) {
      skipped.merge(skip, 1, Integer::sum);
      return records;
    }
    List<String> urls = imageUrls(post);
    if (urls.isEmpty()) {
      skipped.merge("no_image", 1, Integer::sum);
    }
    for (String url : urls) {
      try {
        records.add(record(UrlNormalizer.normaliseRemote(url), post, now));
      } catch (IllegalArgumentException e) {
        skipped.merge("bad_url", 1, Integer::sum);
      }
    }
    return records;
  }

  private String skipReason(JsonNode post) {
    if (post.path("is_video").asBoolean(false)) {
      return "video";
    }
    if (post.path("over_18").asBoolean(false) && !allowNsfw) {
      return "nsfw";
    }
    return null;
  }

  private static List<String> imageUrls(JsonNode post) {
    List<String> urls = new ArrayList<>();
    if (post.path("is_gallery").asBoolean(false)) {
      JsonNode media = post.path("media_metadata");
      for (JsonNode item : post.path("gallery_data").path("items")) {
        JsonNode m = media.path(item.path("media_id").asText());
        String u = m.path("s").path("u").asText("");
        if ("Image".equals(m.path("e").asText()) && !u.isEmpty()) {
          urls.add(unescape(u));
        }
      }
      return urls;
    }
    String url = post.path("url_overridden_by_dest").asText(post.path("url").asText(""));
    if (IMAGE_URL.matcher(url).matches() || "image".equals(post.path("post_hint").asText())) {
      urls.add(unescape(url));
    } else {
      String preview =
          post.path("preview").path("images").path(0).path("source").path("url").asText("");
      if (!preview.isEmpty()) {
        urls.add(unescape(preview));
      }
    }
    return urls;
  }

  private CrawlRecord record(String url, JsonNode post, Instant now) {
    Map<String, String> extra = new LinkedHashMap<>();
    putIfPresent(extra, "id", post.path("name").asText(""));
    putIfPresent(extra, "subreddit", post.path("subreddit").asText(""));
    extra.put("score", Long.toString(post.path("score").asLong(0)));
    extra.put("nsfw", Boolean.toString(post.path("over_18").asBoolean(false)));
    if (post.has("created_utc")) {
      extra.put(
          "created",
          Instant.ofEpochMilli((long) (post.path("created_utc").asDouble() * 1000)).toString());
    }
    String permalink = post.path("permalink").asText("");
    return CrawlRecord.of(
        url,
        source,
        now,
        emptyToNull(post.path("title").asText("")),
        permalink.isEmpty() ? null : site + permalink,
        emptyToNull(post.path("author").asText("")),
        extra);
  }

  private static void putIfPresent(Map<String, String> map, String key, String value) {
    if (!value.isEmpty()) {
      map.put(key, value);
    }
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }

  /** Reddit escapes &amp; in URLs unless asked for raw_json. */
  private static String unescape(String url) {
    return url.replace("&amp;", "&");
  }
}
