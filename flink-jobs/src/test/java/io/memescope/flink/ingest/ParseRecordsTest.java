package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.records.CrawlRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Whatever a publisher sends, the rows the index writes stay within what the stores take: an
 * oversized URL or source id is refused (it would be refused by Milvus or Cassandra on every retry,
 * holding the job's commits), long descriptive text is cut.
 */
class ParseRecordsTest {
  /** Built whole, not by CrawlRecord.of (which bounds it): as any producer may send it. */
  private static CrawlRecord record(String url, String source, String title, String page) {
    return new CrawlRecord(
        CrawlRecord.VERSION,
        url,
        io.memescope.core.records.UrlHash.of(url),
        source,
        SEEN,
        title,
        page,
        title,
        Map.of());
  }

  private static final Instant SEEN = Instant.parse("2026-11-01T12:00:00Z");

  @Test
  void a_discovery_time_before_2000_or_a_day_ahead_is_refused() {
    for (Instant wrong : List.of(Instant.EPOCH, Instant.now().plus(java.time.Duration.ofDays(2)))) {
      CrawlRecord r =
          CrawlRecord.of("https://example.com/a.png", "s", wrong, null, null, null, Map.of());
      assertThatThrownBy(() -> ParseRecords.bounded(r))
          .hasMessageContaining("discoveredAt " + wrong);
    }
    CrawlRecord fast =
        CrawlRecord.of(
            "https://example.com/a.png",
            "s",
            Instant.now().plus(java.time.Duration.ofHours(2)),
            null,
            null,
            null,
            Map.of());
    assertThat(ParseRecords.bounded(fast)).as("a crawler's clock a little fast").isSameAs(fast);
  }

  @Test
  void an_ordinary_record_passes_unchanged() {
    CrawlRecord r = record("https://example.com/a.png", "reddit:memes", "a title", "https://x/p");
    assertThat(ParseRecords.bounded(r)).isSameAs(r);
  }

  @Test
  void a_url_or_source_longer_than_the_stores_take_is_refused_with_its_length() {
    String longUrl = "https://example.com/" + "a".repeat(ParseRecords.MAX_URL);
    assertThatThrownBy(() -> ParseRecords.bounded(record(longUrl, "s", null, null)))
        .hasMessageContaining("url is " + longUrl.length() + " bytes long");
    String longSource = "s".repeat(ParseRecords.MAX_SOURCE + 1);
    assertThatThrownBy(
            () -> ParseRecords.bounded(record("https://example.com/a.png", longSource, null, null)))
        .hasMessageContaining("source is 257 bytes long");
    // Milvus counts bytes: 120 characters of two or three bytes each are over its 256.
    String wideSource = "\u00e9\u00e9\u4e2d".repeat(40);
    assertThatThrownBy(
            () -> ParseRecords.bounded(record("https://example.com/a.png", wideSource, null, null)))
        .hasMessageContaining("source is 280 bytes long");
    assertThatThrownBy(
            () -> ParseRecords.bounded(record("https://example.com/a.png", "", null, null)))
        .hasMessageContaining("source is 0 bytes long");
    String wideUrl = "https://example.com/" + "\u4e2d".repeat(3000);
    assertThatThrownBy(() -> ParseRecords.bounded(record(wideUrl, "s", null, null)))
        .hasMessageContaining("url is 9020 bytes long");
    // At the limits, both are taken.
    String url = "https://example.com/" + "a".repeat(ParseRecords.MAX_URL - 20);
    String source = "s".repeat(ParseRecords.MAX_SOURCE);
    assertThat(ParseRecords.bounded(record(url, source, null, null)).url()).isEqualTo(url);
  }

  @Test
  void long_titles_and_authors_are_cut_and_a_long_page_url_is_dropped() {
    String title = "x".repeat(100_000);
    String page = "https://example.com/" + "p".repeat(ParseRecords.MAX_URL);
    CrawlRecord r = ParseRecords.bounded(record("https://example.com/a.png", "s", title, page));
    assertThat(r.title()).hasSize(ParseRecords.MAX_TEXT).endsWith("\u2026").startsWith("xxx");
    assertThat(r.author()).isEqualTo(r.title());
    assertThat(r.page()).isNull();
    assertThat(r.url()).isEqualTo("https://example.com/a.png");
    assertThat(r.urlHash())
        .isEqualTo(record("https://example.com/a.png", "s", null, null).urlHash());
  }

  @Test
  void a_cut_never_splits_a_surrogate_pair() {
    // 998 ASCII characters, then emoji (two chars each): the cut falls inside the first one.
    String title = "x".repeat(ParseRecords.MAX_TEXT - 2) + "\uD83D\uDE00".repeat(10);
    String cut = ParseRecords.bounded(record("https://e.com/a", "s", title, null)).title();
    assertThat(cut).isEqualTo("x".repeat(ParseRecords.MAX_TEXT - 2) + "\u2026");
    assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 2))).isFalse();
  }

  @Test
  void a_url_hash_that_is_not_the_urls_own_is_refused() {
    CrawlRecord good = record("https://example.com/a.png", "s", null, null);
    CrawlRecord forged =
        new CrawlRecord(
            CrawlRecord.VERSION,
            good.url(),
            "x".repeat(70_000),
            "s",
            SEEN,
            null,
            null,
            null,
            Map.of());
    assertThatThrownBy(() -> ParseRecords.bounded(forged))
        .hasMessageContaining("is not UrlHash.of(url) " + good.urlHash())
        .hasMessageContaining("xxx...");
  }
}
