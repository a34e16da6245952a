package io.memescope.crawler.feed;

import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.http.FetchException;
import io.memescope.crawler.http.PoliteClient;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;

/** An RSS or Atom feed, read whole on every pass; URL de-duplication skips what was published. */
public final class FeedSource implements PagedSource {
  private final String id;
  private final String url;
  private final PoliteClient http;
  private final Clock clock;

  public FeedSource(String id, String url, PoliteClient http, Clock clock) {
    this.id = id;
    this.url = url;
    this.http = http;
    this.clock = clock;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public SourcePage fetch(Optional<String> cursor) throws FetchException, IOException {
    try {
      PoliteClient.Page fetched = http.page(url); // relative links: to the URL after redirects
      return new FeedParser(id).parse(fetched.body(), fetched.url(), clock.instant());
    } catch (IOException e) {
      throw new IOException(url + ": " + e.getMessage(), e);
    }
  }
}
