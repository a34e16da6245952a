package io.memescope.crawler.html;

import com.fasterxml.jackson.core.type.TypeReference;
import io.memescope.core.records.Json;
import io.memescope.core.records.UrlHash;
import io.memescope.crawler.PagedSource;
import io.memescope.crawler.SourcePage;
import io.memescope.crawler.http.FetchException;
import io.memescope.crawler.http.PoliteClient;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An HTML page, read again on every pass (its first 2 MiB, as much as is parsed); with {@code
 * depth} above 0, also the pages it links to on the same host, breadth first, up to {@code depth}
 * links away and {@code maxPages} pages per pass. Each page is one page of the crawl, and the
 * cursor holds the rest of the walk (the pages queued and those read), so a restart in the middle
 * continues the walk. A linked page that cannot be fetched (a 404, robots.txt) is skipped under
 * {@code page_<reason>}; only the start page failing fails the pass.
 */
public final class HtmlPageSource implements PagedSource {
  /** How long one page may spend fetching the robots.txt of its images' origins. */
  static final Duration ROBOTS_BUDGET = Duration.ofSeconds(30);

  /** {@link #ROBOTS_BUDGET}; tests make it shorter. */
  Duration robotsBudget = ROBOTS_BUDGET;

  private final String id;
  private final String url;
  private final PoliteClient http;
  private final Clock clock;
  private final int depth;
  private final int maxPages;
  private volatile double done = -1;
  private final String site;

  public HtmlPageSource(
      String id, String url, PoliteClient http, Clock clock, int depth, int maxPages) {
    this.id = id;
    this.url = url;
    this.http = http;
    this.clock = clock;
    this.depth = depth;
    this.maxPages = maxPages;
    this.site = site(url);
  }

  /**
   * The site a URL is on: its host's registrable domain (www.example.com and example.com are one
   * site), or the host itself for an address or a name with no public suffix. A walk follows only
   * links on the start URL's site, so that a page redirected elsewhere (a login page, a parked
   * domain) does not lead it off.
   */
  static String site(String url) {
    String host;
    try {
      host = java.net.URI.create(url).getHost();
    } catch (IllegalArgumentException e) {
      return "";
    }
    if (host == null) {
      return "";
    }
    host = host.toLowerCase(java.util.Locale.ROOT);
    if (io.memescope.core.net.AddressGuard.literal(host).isPresent()) {
      return host;
    }
    String domain = crawlercommons.domains.EffectiveTldFinder.getAssignedDomain(host, true, false);
    return domain == null || domain.isEmpty() ? host : domain;
  }

  /** Top-level media types that are never a page (RFC 6838's registries). */
  private static final java.util.Set<String> UNWANTED_TOP_TYPES =
      java.util.Set.of("image", "video", "audio", "font", "model");

  /** Subtypes of {@code application/} that are never a page. */
  private static final java.util.Set<String> UNWANTED_APPLICATIONS = java.util.Set.of("pdf", "zip");

  /**
   * Whether an answer of this {@code Content-Type} may be an HTML page: any but an image, video,
   * sound, font or 3D model, or a PDF or ZIP (a link to a full-size image from a gallery). Servers
   * send pages as text/plain or application/octet-stream too, and those are read as browsers may.
   * Until 2026-12-07 every answer was parsed as HTML: a linked 10 MB photo was downloaded to find
   * nothing in it.
   */
  static boolean mayBeHtml(String contentType) {
    if (contentType == null) {
      return true;
    }
    // By hand, not with OkHttp's MediaType.parse: that one gives up on forms RFC 9110 allows or
    // servers send (a space before ';', an unquoted value with spaces or commas), and a header it
    // cannot read would then be taken for a page. Only the type before the parameters matters.
    String type = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
    String[] parts = type.split("/", 2);
    return !(UNWANTED_TOP_TYPES.contains(parts[0])
        || parts[0].equals("application")
            && parts.length == 2
            && UNWANTED_APPLICATIONS.contains(parts[1]));
  }

  @Override
  public String id() {
    return id;
  }

  /** The walk so far: pages to read with their distance from the start, hashes of pages read. */
  record Walk(List<Queued> queue, List<String> read) {}

  record Queued(String url, int depth) {}

  @Override
  public SourcePage fetch(Optional<String> cursor) throws FetchException, IOException {
    Walk walk =
        cursor.isPresent()
            ? Json.mapper().readValue(cursor.get(), new TypeReference<Walk>() {})
            : new Walk(List.of(new Queued(url, 0)), List.of());
    ArrayDeque<Queued> queue = new ArrayDeque<>(walk.queue());
    LinkedHashSet<String> read = new LinkedHashSet<>(walk.read());
    Queued next = queue.removeFirst();
    read.add(key(next.url()));
    SourcePage page;
    try {
      // Links are relative to where the page was found after redirects (/memes → /memes/).
      // Only what is parsed is downloaded: a longer page is cut, not refused.
      PoliteClient.Page fetched =
          http.page(next.url(), HtmlPageParser.MAX_PARSED_BYTES, HtmlPageSource::mayBeHtml);
      HtmlPageParser.Parsed parsed =
          new HtmlPageParser(id)
              .parseWithLinks(
                  fetched.body(),
                  fetched.contentType(),
                  fetched.url(),
                  clock.instant(),
                  fetched.cut());
      page = parsed.page();
      if (next.depth() < depth) {
        LinkedHashSet<String> queued = new LinkedHashSet<>();
        queue.forEach(q -> queued.add(key(q.url())));
        for (String link : parsed.sameHostLinks()) {
          if (read.size() + queue.size() >= maxPages) {
            break;
          }
          if (!site(link).equals(site)) {
            continue; // the page was redirected off the site: its links are another site's
          }
          String k = key(link);
          if (!read.contains(k) && queued.add(k)) {
            queue.addLast(new Queued(link, next.depth() + 1));
          }
        }
      }
    } catch (FetchException e) {
      // A host whose turn is later is not a broken page: the walk stops here and goes on from it.
      if (next.depth() == 0 || e.reason() == FetchException.Reason.HOST_PAUSED) {
        throw e;
      }
      page =
          new SourcePage(
              List.of(), Map.of("page_" + e.reason().name().toLowerCase(), 1), Optional.empty());
    }
    Optional<String> after =
        queue.isEmpty() || read.size() >= maxPages
            ? Optional.empty()
            : Optional.of(
                Json.mapper()
                    .writeValueAsString(new Walk(new ArrayList<>(queue), List.copyOf(read))));
    done =
        after.isEmpty()
            ? 1.0
            : read.size() / (double) Math.min(maxPages, read.size() + queue.size());
    // The images too obey robots.txt (of their own origin): the ingest job fetches them. A page's
    // images may name many origins, each with a robots.txt to fetch: past the budget only cached
    // ones are asked, and images of the others are left for the next pass (robots_unknown), so
    // that slow hosts do not hold the source's thread (until 2026-12-06, up to 6 minutes each).
    List<io.memescope.core.records.CrawlRecord> allowed = new ArrayList<>();
    Map<String, Integer> skipped = new java.util.LinkedHashMap<>(page.skipped());
    long budgetEnd = System.nanoTime() + robotsBudget.toNanos();
    for (var r : page.records()) {
      Optional<Boolean> ok = http.allowedByRobots(r.url(), System.nanoTime() < budgetEnd);
      if (ok.isEmpty()) {
        skipped.merge("robots_unknown", 1, Integer::sum);
      } else if (ok.get()) {
        allowed.add(r);
      } else {
        skipped.merge("robots_disallowed", 1, Integer::sum);
      }
    }
    return new SourcePage(allowed, skipped, after);
  }

  @Override
  public java.util.OptionalDouble progress() {
    return done < 0 ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(done);
  }

  private static String key(String url) {
    return UrlHash.of(url).substring(0, 16);
  }
}
