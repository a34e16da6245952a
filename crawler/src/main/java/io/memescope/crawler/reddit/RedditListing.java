package io.memescope.crawler.reddit;

import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.http.FetchException;
import io.memescope.crawler.http.PoliteClient;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Optional;

/** A Reddit-style JSON listing ({@code /r/<sub>/new.json}), paged by {@code after}. */
public final class RedditListing implements PagedSource {
  private final String id;
  private final String listingUrl;
  private final PoliteClient http;
  private final RedditListingParser parser;
  private final Clock clock;

  /**
   * @param listingUrl e.g. {@code https://www.reddit.com/r/memes/new.json}
   */
  public RedditListing(
      String id, String listingUrl, PoliteClient http, RedditListingParser parser, Clock clock) {
    this.id = id;
    this.listingUrl = listingUrl;
    this.http = http;
    this.parser = parser;
    this.clock = clock;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public SourcePage fetch(Optional<String> after) throws FetchException, IOException {
    String base = listingUrl + (listingUrl.contains("?") ? "&" : "?") + "limit=100&raw_json=1";
    String url =
        after
            .map(a -> base + "&after=" + URLEncoder.encode(a, StandardCharsets.UTF_8))
            .orElse(base);
    try {
      return parser.parse(http.get(url), clock.instant());
    } catch (IOException e) {
      throw new IOException(url + ": " + e.getMessage(), e);
    }
  }
}
