package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A page's walk over a ranking held in memory (the Milvus searches it would run, as windows of a
 * list): where images above the cursor have gone since the last page, the next page is still the
 * hits right after the cursor's image, in one request.
 */
class SearcherWalkTest {
  private static final int LIMIT = 30;

  @Test
  void the_next_page_follows_the_cursor_however_many_images_above_it_have_gone() {
    Random random = new Random(11);
    for (int n : new int[] {30, 50, 300, 720, 3_000, 12_000, 16_000}) {
      // n - 1_500 and n * 9 / 10: the last step back reaches the top (offset 0) far before the
      // cursor's place.
      for (int gone : new int[] {0, 10, 21, 60, 330, n / 2, n * 9 / 10, n - 1_500, n - 1}) {
        if (gone < 0 || gone > n - 1) {
          continue;
        }
        List<Index.Hit> ranking = ranking(16_384);
        Index.Hit last = ranking.get(n - 1);
        Searcher.Cursor cursor =
            new Searcher.Cursor("q", last.score(), last.id(), n, null, null, null);
        // `gone` images above the cursor's leave (taken down, or out of a quality filter).
        List<Index.Hit> now = new ArrayList<>(ranking);
        for (int k = 0; k < gone; k++) {
          now.remove(random.nextInt(now.indexOf(last)));
        }
        int at = now.indexOf(last);
        List<Index.Hit> expected = now.subList(at + 1, Math.min(now.size(), at + 1 + LIMIT));

        AtomicInteger searches = new AtomicInteger();
        Searcher.Walk walk =
            Searcher.walk(
                (offset, window) -> {
                  searches.incrementAndGet();
                  return now.subList(
                      Math.min(offset, now.size()), Math.min(now.size(), offset + window));
                },
                LIMIT,
                cursor,
                null);
        String where = "cursor at " + n + ", " + gone + " gone above it";
        assertThat(walk.taken()).as(where).containsExactlyElementsOf(expected);
        // Steps back (about ten at most), one-hit probes (about fourteen), forward windows (3).
        assertThat(searches.get()).as(where).isLessThanOrEqualTo(30);
      }
    }
  }

  @Test
  void a_page_with_nothing_gone_reads_one_window() {
    List<Index.Hit> ranking = ranking(2_000);
    Index.Hit last = ranking.get(719);
    Searcher.Cursor cursor =
        new Searcher.Cursor("q", last.score(), last.id(), 720, null, null, null);
    AtomicInteger searches = new AtomicInteger();
    Searcher.Walk walk =
        Searcher.walk(
            (offset, window) -> {
              searches.incrementAndGet();
              return ranking.subList(offset, Math.min(ranking.size(), offset + window));
            },
            LIMIT,
            cursor,
            null);
    assertThat(walk.taken()).containsExactlyElementsOf(ranking.subList(720, 750));
    assertThat(walk.more()).isTrue();
    assertThat(walk.position()).isEqualTo(750);
    assertThat(searches.get()).isEqualTo(1);
  }

  /** {@code size} hits, best first, every score distinct. */
  private static List<Index.Hit> ranking(int size) {
    List<Index.Hit> hits = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      hits.add(new Index.Hit(String.format("i%05d", i), 1f - i * 1e-4f, null, null, null));
    }
    return hits;
  }
}
