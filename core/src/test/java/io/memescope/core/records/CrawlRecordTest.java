package io.memescope.core.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrawlRecordTest {
  private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");

  @Test
  void a_record_from_a_hostile_page_stays_far_below_kafkas_one_megabyte() throws Exception {
    // A page with a 2 MB title: each of its images' records carried it whole until 2026-12-07,
    // Kafka refused the first, and the page (with every page after it) was never marked seen.
    String huge = "\u00e9".repeat(2_000_000);
    CrawlRecord r =
        CrawlRecord.of(
            "https://example.com/a.png",
            "html:site",
            NOW,
            huge,
            "https://example.com/" + "p".repeat(CrawlRecord.MAX_URL_BYTES),
            huge,
            Map.of("subreddit", huge));
    assertThat(r.title()).hasSize(CrawlRecord.MAX_TEXT).endsWith("\u2026");
    assertThat(r.author()).isEqualTo(r.title());
    assertThat(r.page()).as("a page URL over the bound is dropped").isNull();
    assertThat(r.extra().get("subreddit")).hasSize(CrawlRecord.MAX_TEXT);
    assertThat(Json.write(r).length).isLessThan(16 * 1024);
  }

  @Test
  void a_url_over_the_bound_is_refused_with_its_length_and_one_at_it_is_taken() {
    String at = "https://example.com/" + "a".repeat(CrawlRecord.MAX_URL_BYTES - 20);
    assertThat(CrawlRecord.of(at, "s", NOW, null, null, null, Map.of()).url()).isEqualTo(at);
    String over = at + "a";
    assertThatThrownBy(() -> CrawlRecord.of(over, "s", NOW, null, null, null, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("URL is 8193 bytes long");
  }

  @Test
  void a_record_sent_whole_by_another_producer_is_bounded_in_its_extras_too() {
    // The ingest job bounds what any producer sends (ParseRecords): extras rode whole in its
    // state and in-flight data until 2026-12-07.
    Map<String, String> many = new java.util.HashMap<>();
    for (int i = 0; i < 1_000; i++) {
      many.put(String.format("k%04d", i), "v".repeat(i == 5 ? 5_000 : 3));
      many.put(String.format("a%04d", i), "sorts before content-version");
    }
    many.put(CrawlRecord.CONTENT_VERSION, "retry-1733550000000"); // what seenKey reads
    CrawlRecord sent = whole(many);
    CrawlRecord bounded = sent.withTextBounded();
    assertThat(bounded.extra())
        .hasSize(CrawlRecord.MAX_EXTRA)
        .containsEntry(CrawlRecord.CONTENT_VERSION, "retry-1733550000000")
        .containsKey("a0000")
        .doesNotContainKey("k0000");
    assertThat(bounded.seenKey()).isEqualTo(sent.seenKey());
    Map<String, String> longValues = new java.util.HashMap<>();
    longValues.put("k", "v".repeat(5_000));
    assertThat(whole(longValues).withTextBounded().extra().get("k")).hasSize(CrawlRecord.MAX_TEXT);
  }

  @Test
  void an_ordinary_record_is_kept_as_it_is() {
    CrawlRecord r =
        CrawlRecord.of(
            "https://example.com/a.png", "s", NOW, "title", "https://x/p", "me", Map.of("k", "v"));
    assertThat(r.withTextBounded()).isSameAs(r);
    assertThat(r.title()).isEqualTo("title");
    assertThat(r.extra()).containsExactly(Map.entry("k", "v"));
  }

  /** A record built whole with {@code extra}, as another producer may send it. */
  private static CrawlRecord whole(Map<String, String> extra) {
    return new CrawlRecord(
        CrawlRecord.VERSION,
        "https://example.com/a.png",
        UrlHash.of("https://example.com/a.png"),
        "s",
        NOW,
        null,
        null,
        null,
        extra);
  }
}
