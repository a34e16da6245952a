package io.memescope.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.memescope.core.records.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ranked, paged search over the live index.
 *
 * <p>Pages never repeat an image, even while ingestion inserts or a takedown deletes: the cursor
 * holds the score and id of the last result, and a page takes only hits ranked strictly after it
 * (score descending, then id ascending). Its offset is a hint: Milvus is asked for a window that
 * starts {@link #SLACK} places before it, so that up to that many insertions above the cursor
 * between two pages cost nothing and are not skipped; more move the window on. When more than that
 * many images above the cursor have gone (a takedown, or a filter on quality after re-scoring), the
 * window's first hit is already past the cursor, and the window steps back until it is not. A query
 * pages through at most Milvus's 16,384 results.
 *
 * <p>A page reads at most {@link #MAX_SEARCHES} windows forward from Milvus. Where the cursor's
 * place is farther away than that (over a hundred images inserted above it since the last page, or
 * a cursor made by hand that no hit ever follows), the page comes back short, or empty, with a
 * cursor that goes on from where it stopped. Stepping back doubles each time and needs at most
 * about ten searches to reach the top, then halves the span it overshot with one-hit probes (about
 * fourteen more at most); it has that budget of its own. So one request never costs more than about
 * 30 searches, and that only after thousands of images above the cursor have gone.
 */
final class Searcher {
  static final int SLACK = 20;

  /** The most Milvus searches one page runs. */
  static final int MAX_SEARCHES = 3;

  record Result(Index.Hit hit, Catalog.Summary summary) {}

  record Page(List<Result> results, String cursor) {}

  /**
   * What a cursor carries: query key, last score and id, Milvus position, random seed; for a
   * quality-sorted query also the last quality and the token of its window's snapshot.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Cursor(String q, float s, String i, int n, Long r, Float u, String t) {}

  /**
   * Hits a quality-sorted window may keep in {@link #snapshots}, all windows together: about 200
   * bytes each (the record, its id and source strings, boxed quality and time), so some 100 MB of
   * heap at most; 500 queries paged at once with the default window. Only a window with a next page
   * is kept.
   */
  static final int SNAPSHOT_HITS = 500_000;

  /** A quality-sorted window of the query {@code key}, in its first page's order. */
  private record Snapshot(String key, List<Index.Hit> hits) {}

  /**
   * Quality-sorted windows, as their first page ordered them, by token. Qualities change under a
   * query being paged (the re-scoring job rewrites nearly every image's after each publication):
   * re-reading them for each page would repeat images whose quality fell below the cursor and skip
   * those whose quality rose above it.
   */
  private final Cache<String, Snapshot> snapshots =
      Caffeine.newBuilder()
          .expireAfterAccess(Duration.ofMinutes(10))
          .maximumWeight(SNAPSHOT_HITS)
          .weigher((String k, Snapshot v) -> Math.max(1, v.hits().size()))
          .build();

  private final Index index;
  private final Catalog catalog;
  private final QueryVectors vectors;
  private final int qualityWindow;

  Searcher(Index index, Catalog catalog, QueryVectors vectors, int qualityWindow) {
    this.index = index;
    this.catalog = catalog;
    this.vectors = vectors;
    this.qualityWindow = qualityWindow;
  }

  Page search(SearchRequest request) {
    Cursor cursor = decode(request.cursor());
    float[] vector;
    Long seed = null;
    if (request.terms().isEmpty()) {
      seed =
          cursor != null && cursor.r() != null
              ? cursor.r()
              : ThreadLocalRandom.current().nextLong();
      vector = vectors.random(seed);
    } else {
      vector = vectors.combine(request.terms());
    }
    String filter = request.filters().milvusExpression();
    if (SearchRequest.QUALITY.equals(request.sort())) {
      return byQuality(vector, filter, request.limit(), cursor, seed);
    }
    return page(vector, filter, request.limit(), cursor, seed, null);
  }

  /**
   * The {@code qualityWindow} images most similar to the query, highest quality first (then by
   * similarity, then id). The first page keeps its window's order as a snapshot for 10 minutes
   * after the last page read from it, and the cursor names it: later pages page through that order,
   * so that a re-scoring job moving qualities meanwhile neither repeats nor skips an image, and
   * they show the qualities the first page saw. An image taken down meanwhile is left out (its
   * metadata is gone). Where the snapshot is gone (expired, evicted, or the cursor went to another
   * serving instance) the page reads the live window and goes on after the cursor's quality, score
   * and id.
   */
  private Page byQuality(float[] vector, String filter, int limit, Cursor cursor, Long seed) {
    String key = queryKey(vector, filter + "|sort=quality");
    if (cursor != null && (!cursor.q().equals(key) || cursor.u() == null)) {
      throw ApiException.badRequest(
          "cursor", "belongs to another query: send the same terms, filters and sort as before");
    }
    String token = cursor == null ? null : cursor.t();
    Snapshot snapshot = token == null ? null : snapshots.getIfPresent(token);
    List<Index.Hit> hits = snapshot != null && snapshot.key().equals(key) ? snapshot.hits() : null;
    if (hits == null) {
      // A first page, or a snapshot expired or held by another instance: the live index.
      Comparator<Index.Hit> order =
          Comparator.comparing((Index.Hit h) -> -quality(h))
              .thenComparing(h -> -h.score())
              .thenComparing(Index.Hit::id);
      List<Index.Hit> window =
          new ArrayList<>(
              index.search(vector, filter, 0, Math.min(qualityWindow, Index.MAX_WINDOW)));
      window.sort(order);
      hits = List.copyOf(window);
      token = null; // kept below only if a next page can ask for it
    }
    List<Index.Hit> taken = new ArrayList<>();
    boolean more = false;
    for (Index.Hit h : hits) {
      if (cursor != null && !afterByQuality(h, cursor)) {
        continue;
      }
      if (taken.size() == limit) {
        more = true;
        break;
      }
      taken.add(h);
    }
    Map<String, Catalog.Summary> summaries =
        catalog.summaries(taken.stream().map(Index.Hit::id).toList());
    List<Result> results = new ArrayList<>();
    for (Index.Hit h : taken) {
      Catalog.Summary s = summaries.get(h.id());
      if (s != null) {
        results.add(new Result(h, s));
      }
    }
    String next = null;
    if (more) {
      Index.Hit last = taken.get(taken.size() - 1);
      if (token == null) {
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        snapshots.put(token, new Snapshot(key, hits));
      }
      next = encode(new Cursor(key, last.score(), last.id(), 0, seed, quality(last), token));
    }
    return new Page(results, next);
  }

  private static float quality(Index.Hit h) {
    return h.quality() == null ? 0f : h.quality();
  }

  private static boolean afterByQuality(Index.Hit h, Cursor c) {
    float q = quality(h);
    if (q != c.u()) {
      return q < c.u();
    }
    if (h.score() != c.s()) {
      return h.score() < c.s();
    }
    return h.id().compareTo(c.i()) > 0;
  }

  Page similar(String id, int limit, String cursorText) {
    float[] vector =
        index.vector(id).orElseThrow(() -> ApiException.notFound("no image with id " + id));
    return page(vector, "", limit, decode(cursorText), null, id);
  }

  private Page page(
      float[] vector, String filter, int limit, Cursor cursor, Long seed, String exclude) {
    String key = queryKey(vector, filter);
    if (cursor != null && !cursor.q().equals(key)) {
      throw ApiException.badRequest(
          "cursor", "belongs to another query: send the same terms and filters as before");
    }
    Walk walk = walk((o, w) -> index.search(vector, filter, o, w), limit, cursor, exclude);
    List<Index.Hit> taken = walk.taken();
    int position = walk.position();
    boolean more = walk.more();
    boolean stopped = walk.stopped();
    int offset = walk.offset();
    Map<String, Catalog.Summary> summaries =
        catalog.summaries(taken.stream().map(Index.Hit::id).toList());
    List<Result> results = new ArrayList<>();
    for (Index.Hit h : taken) {
      Catalog.Summary s = summaries.get(h.id());
      if (s != null) { // a hit whose metadata is not (or no longer) there is left out
        results.add(new Result(h, s));
      }
    }
    String next = null;
    if ((more || stopped) && !taken.isEmpty() && position < Index.MAX_WINDOW) {
      Index.Hit last = taken.get(taken.size() - 1);
      next = encode(new Cursor(key, last.score(), last.id(), position, seed, null, null));
    } else if (stopped && taken.isEmpty() && cursor != null) {
      // Nothing after the cursor in these windows: the next page starts where they ended (its
      // window SLACK places before the position it is given), still after the same image.
      next = encode(new Cursor(key, cursor.s(), cursor.i(), offset + SLACK, seed, null, null));
    }
    return new Page(results, next);
  }

  /** One Milvus search: the hits at places [offset, offset + window) of the query's ranking. */
  @FunctionalInterface
  interface Windows {
    List<Index.Hit> at(int offset, int window);
  }

  /**
   * What a page's walk over the ranking took: the hits after the cursor, the place after the last,
   * whether more follow, whether it stopped at {@link #MAX_SEARCHES} short of a full page, and the
   * offset it reached.
   */
  record Walk(List<Index.Hit> taken, int position, boolean more, boolean stopped, int offset) {}

  /**
   * Walks the ranking from the cursor's place (its position a hint: see the class comment) for up
   * to {@code limit} hits after it, leaving out {@code exclude}.
   */
  static Walk walk(Windows windows, int limit, Cursor cursor, String exclude) {
    Comparator<Index.Hit> order =
        Comparator.comparing((Index.Hit h) -> -h.score()).thenComparing(Index.Hit::id);
    List<Index.Hit> taken = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    int position = cursor == null ? 0 : cursor.n();
    int offset = Math.max(0, position - SLACK);
    boolean more = false;
    // Whether the window is known to start at or before the cursor. More than SLACK images gone
    // from above it since the last page (taken down, or out of a quality filter after re-scoring)
    // move the cursor's image up past the window's start: then the window steps back, farther each
    // time, rather than skip the images between.
    boolean located = cursor == null || offset == 0;
    int back = 2 * SLACK + 1;
    int afterAt = -1; // where the last step back's window began after the cursor
    int searches = 0; // forward, once located
    boolean stopped = false; // by MAX_SEARCHES, with the page not yet full
    while (taken.size() < limit && offset < Index.MAX_WINDOW) {
      if (located && searches++ == MAX_SEARCHES) {
        stopped = true;
        break;
      }
      // A first page needs one hit more than it shows (to know whether there are more, and one
      // for an excluded image); later pages a margin on both sides of the cursor's position.
      int margin = cursor == null ? 2 : 2 * SLACK + 1;
      int window = Math.min(limit - taken.size() + margin, Index.MAX_WINDOW - offset);
      List<Index.Hit> hits = new ArrayList<>(windows.at(offset, window));
      hits.sort(order);
      if (!located) {
        // Offset 0 is at or before any cursor: there the step back ends, and the check for an
        // overshoot below applies as for any other window (until 2026-12-07 it was skipped there).
        if (offset > 0 && (hits.isEmpty() || after(hits.get(0), cursor))) {
          afterAt = offset;
          offset = Math.max(0, offset - back);
          back *= 2;
          continue;
        }
        located = true;
        int end = offset + hits.size();
        if (hits.size() == window && !after(hits.get(hits.size() - 1), cursor) && afterAt > end) {
          // The step back went past the cursor's place by more than this window: the place is
          // between the window's end and the last step's offset. Halved with one-hit probes to
          // within half a window, rather than walked to window by window (which ran out of
          // forward searches and answered empty pages until 2026-12-07); the forward windows
          // then start SLACK before it.
          int lo = end;
          int hi = afterAt;
          while (hi - lo > window / 2) {
            int mid = (lo + hi) >>> 1;
            List<Index.Hit> probe = windows.at(mid, 1);
            if (probe.isEmpty() || after(probe.get(0), cursor)) {
              hi = mid;
            } else {
              lo = mid + 1;
            }
          }
          offset = Math.max(0, lo - SLACK);
          continue;
        }
      }
      for (int k = 0; k < hits.size(); k++) {
        Index.Hit h = hits.get(k);
        if (!after(h, cursor) || !ids.add(h.id()) || h.id().equals(exclude)) {
          continue;
        }
        if (taken.size() == limit) {
          more = true;
          break;
        }
        taken.add(h);
        position = offset + k + 1;
      }
      if (hits.size() < window) {
        break; // the end of the results
      }
      if (taken.size() == limit) {
        more = true;
        break;
      }
      offset += hits.size();
    }
    return new Walk(taken, position, more, stopped, offset);
  }

  /** Whether {@code h} ranks strictly after the cursor's last result. */
  private static boolean after(Index.Hit h, Cursor c) {
    if (c == null) {
      return true;
    }
    return h.score() < c.s() || (h.score() == c.s() && h.id().compareTo(c.i()) > 0);
  }

  static String queryKey(float[] vector, String filter) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4);
      for (float x : vector) {
        bytes.putFloat(x);
      }
      sha.update(bytes.array());
      sha.update(filter.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String encode(Cursor c) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Json.write(c));
  }

  static Cursor decode(String text) {
    if (text == null) {
      return null;
    }
    try {
      Cursor c = Json.read(Base64.getUrlDecoder().decode(text), Cursor.class);
      if (c == null || c.q() == null || c.i() == null || c.n() < 0) {
        throw new IOException("incomplete");
      }
      return c;
    } catch (IOException | IllegalArgumentException e) {
      throw ApiException.badRequest("cursor", "is not a cursor from an earlier answer");
    }
  }
}
