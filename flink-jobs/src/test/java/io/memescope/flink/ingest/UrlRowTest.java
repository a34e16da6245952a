package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.records.UrlHash;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How the index writer folds a URL's listings into its row ({@link IndexWriter.UrlRow}): the first
 * listing's, in any order of arrival; another image only from a later listing. IndexWriterIT writes
 * such rows to Cassandra.
 */
class UrlRowTest {
  private static final String URL = "https://example.com/a.png";
  private static final String A = "a".repeat(32);
  private static final String B = "b".repeat(32);

  private static IndexEffect listing(String image, String source, String title, long second) {
    UrlInfo info =
        new UrlInfo(
            URL,
            UrlHash.of(URL),
            UrlHash.of(URL),
            source,
            title,
            null,
            null,
            second * 1000,
            Map.of());
    return IndexEffect.merged(IndexEffect.EXACT, image, info, 0);
  }

  /** A row as stored: nothing to write unless a listing changes it. */
  private static IndexWriter.UrlRow stored(String image, String source, String title, long second) {
    return new IndexWriter.UrlRow(
        null, image, source, title, null, Instant.ofEpochSecond(second), false, false);
  }

  @Test
  void a_first_listing_makes_the_row() {
    IndexWriter.UrlRow row = IndexWriter.UrlRow.next(null, listing(A, "s1", "t", 100));
    assertThat(row.changed()).isTrue();
    assertThat(row.replacesAnother()).isFalse();
    assertThat(row.source()).isEqualTo("s1");
    assertThat(row.firstSeen()).isEqualTo(Instant.ofEpochSecond(100));
  }

  @Test
  void a_later_listing_of_the_same_image_changes_nothing_but_a_missing_title() {
    IndexWriter.UrlRow row = stored(A, "s1", "t", 100);
    assertThat(IndexWriter.UrlRow.next(row, listing(A, "s2", "other", 200))).isSameAs(row);
    IndexWriter.UrlRow untitled = stored(A, "s1", null, 100);
    IndexWriter.UrlRow filled = IndexWriter.UrlRow.next(untitled, listing(A, "s2", "late", 200));
    assertThat(filled.changed()).isTrue();
    assertThat(filled.source()).isEqualTo("s1");
    assertThat(filled.title()).isEqualTo("late");
    assertThat(filled.firstSeen()).isEqualTo(Instant.ofEpochSecond(100));
  }

  @Test
  void an_earlier_listing_of_the_same_image_takes_the_row_keeping_a_title_it_lacks() {
    IndexWriter.UrlRow row =
        IndexWriter.UrlRow.next(stored(A, "s1", "t", 100), listing(A, "s0", null, 50));
    assertThat(row.changed()).isTrue();
    assertThat(row.replacesAnother()).isFalse();
    assertThat(row.source()).isEqualTo("s0");
    assertThat(row.title()).isEqualTo("t");
    assertThat(row.firstSeen()).isEqualTo(Instant.ofEpochSecond(50));
  }

  @Test
  void another_image_takes_the_row_only_from_a_later_listing_and_clears_the_old_title() {
    IndexWriter.UrlRow row = stored(A, "s1", "t", 100);
    assertThat(IndexWriter.UrlRow.next(row, listing(B, "s2", null, 50)))
        .as("a stale listing of other content")
        .isSameAs(row);
    IndexWriter.UrlRow changed = IndexWriter.UrlRow.next(row, listing(B, "s2", null, 200));
    assertThat(changed.imageId()).isEqualTo(B);
    assertThat(changed.replacesAnother()).as("the old title must be cleared").isTrue();
    assertThat(changed.title()).isNull();
    // In one commit: the old content listed again after the change, then earlier than it.
    IndexWriter.UrlRow back = IndexWriter.UrlRow.next(changed, listing(A, "s3", null, 300));
    assertThat(back.imageId()).isEqualTo(A);
    assertThat(back.replacesAnother())
        .as("a new listing of A after B: written whole over the stored row")
        .isTrue();
    assertThat(back.firstSeen()).isEqualTo(Instant.ofEpochSecond(300));
    assertThat(IndexWriter.UrlRow.next(changed, listing(A, "s3", null, 150))).isSameAs(changed);
  }
}
