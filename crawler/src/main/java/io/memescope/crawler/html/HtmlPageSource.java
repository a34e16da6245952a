package io.memescope.crawler.html;

import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.http.FetchException;
import io.memescope.crawler.http.PoliteClient;
import java.time.Clock;
import java.util.Optional;

/** One HTML page, read whole on every pass. */
public final class HtmlPageSource implements PagedSource {
  private final String id;
  private final String url;
  private final PoliteClient http;
  private final Clock clock;

  public HtmlPageSource(String id, String url, PoliteClient http, Clock clock) {
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
  public SourcePage fetch(Optional<String> cursor) throws FetchException {
    return new HtmlPageParser(id).parse(http.get(url), url, clock.instant());
  }
}
