package io.memescope.crawler;

import io.memescope.core.config.CrawlerSettings;
import io.memescope.core.config.CrawlerSettings.SourceSpec;
import io.memescope.crawler.dir.DirectorySource;
import io.memescope.crawler.dump.RedditDumpSource;
import io.memescope.crawler.feed.FeedSource;
import io.memescope.crawler.html.HtmlPageSource;
import io.memescope.crawler.http.HostGate;
import io.memescope.crawler.http.PoliteClient;
import io.memescope.crawler.list.UrlListSource;
import io.memescope.crawler.reddit.RedditListing;
import io.memescope.crawler.reddit.RedditListingParser;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** Builds the {@link PagedSource} a configured {@link SourceSpec} describes. */
public final class Sources {
  private Sources() {}

  /** A source with per-host limits of its own (a one-off crawl). */
  public static PagedSource create(SourceSpec spec, CrawlerSettings settings, Clock clock)
      throws IOException {
    return create(
        spec,
        settings,
        new HostGate(settings.perHostConcurrency()),
        PoliteClient.Listener.NONE,
        clock);
  }

  /**
   * A source whose requests go through {@code gate}, shared by all sources of the process, and
   * whose failed requests are reported to {@code listener}.
   */
  public static PagedSource create(
      SourceSpec spec,
      CrawlerSettings settings,
      HostGate gate,
      PoliteClient.Listener listener,
      Clock clock)
      throws IOException {
    PoliteClient http =
        new PoliteClient(
            spec.allowPrivateHosts(),
            settings.maxResponseBytes(),
            5,
            Duration.ofSeconds(2),
            settings.minInterval(),
            gate,
            listener,
            PoliteClient::sleep);
    return switch (spec.type()) {
      case "reddit" ->
          new RedditListing(
              spec.id(),
              spec.location(),
              http,
              new RedditListingParser(spec.id(), site(spec.location()), spec.allowNsfw()),
              clock);
      case "feed" -> new FeedSource(spec.id(), spec.location(), http, clock);
      case "html" ->
          new HtmlPageSource(
              spec.id(), spec.location(), http, clock, spec.depth(), spec.maxPages());
      case "list" ->
          new UrlListSource(spec.id(), Path.of(spec.location()), settings.pageSize(), clock);
      case "dir" ->
          new DirectorySource(spec.id(), Path.of(spec.location()), settings.pageSize(), clock);
      case "dump" ->
          new RedditDumpSource(
              spec.id(),
              Path.of(spec.location()),
              settings.pageSize(),
              new RedditListingParser(spec.id(), "https://www.reddit.com", spec.allowNsfw()),
              clock);
      default -> throw new IllegalArgumentException("unknown source type " + spec.type());
    };
  }

  /** Permalinks are relative to the listing's site. */
  private static String site(String listingUrl) {
    URI uri = URI.create(listingUrl);
    return uri.getScheme() + "://" + uri.getRawAuthority();
  }
}
