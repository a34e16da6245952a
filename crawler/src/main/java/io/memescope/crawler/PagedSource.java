package io.memescope.crawler;

import io.memescope.crawler.http.FetchException;
import java.io.IOException;
import java.util.Optional;

/**
 * A source read page by page: a listing with a cursor, a feed or a page (one page each), a URL list
 * file (pages of lines, the cursor an offset). {@link Crawl} publishes what it returns.
 */
public interface PagedSource {
  /** The source's id, e.g. {@code reddit:memes}; cursors and records carry it. */
  String id();

  /**
   * The page at {@code cursor} (the first page when empty). An {@link IOException} means the
   * content is unusable (malformed JSON or XML); a {@link FetchException} that it could not be
   * fetched.
   */
  SourcePage fetch(Optional<String> cursor) throws FetchException, IOException;

  /** How much of the source the last {@link #fetch} has read, 0 to 1, where the source knows. */
  default java.util.OptionalDouble progress() {
    return java.util.OptionalDouble.empty();
  }
}
