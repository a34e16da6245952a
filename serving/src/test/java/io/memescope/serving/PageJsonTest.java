package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.records.Json;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The search answer written field by field: every field, in order, nulls written as null. */
class PageJsonTest {
  @Test
  void writes_every_field_of_every_result_in_order() throws Exception {
    Catalog.Summary full =
        new Catalog.Summary(
            "a".repeat(32),
            640,
            480,
            new LinkedHashSet<>(List.of("One does not \"simply\"", "ünïcödé")),
            new LinkedHashSet<>(List.of("reddit")),
            0.25f,
            Instant.parse("2026-11-30T10:15:30.123Z"),
            Map.of("small", new Catalog.Thumb(256, 192), "large", new Catalog.Thumb(720, 540)),
            List.of("https://example.org/a.jpg"));
    Catalog.Summary bare =
        new Catalog.Summary(
            "b".repeat(32),
            10,
            20,
            new LinkedHashSet<>(),
            new LinkedHashSet<>(),
            null,
            null,
            Map.of(),
            List.of());
    Searcher.Page page =
        new Searcher.Page(
            List.of(
                new Searcher.Result(new Index.Hit(full.id(), 0.875f, 0.75f, "reddit", 1L), full),
                new Searcher.Result(new Index.Hit(bare.id(), -0.5f, null, null, null), bare)),
            "next-page");

    JsonNode json = Json.mapper().readTree(ServingApp.page(page));

    assertThat(json.fieldNames()).toIterable().containsExactly("results", "cursor");
    assertThat(json.get("cursor").asText()).isEqualTo("next-page");
    JsonNode first = json.get("results").get(0);
    assertThat(first.fieldNames())
        .toIterable()
        .containsExactly(
            "id",
            "score",
            "width",
            "height",
            "thumbnails",
            "titles",
            "sources",
            "urls",
            "quality",
            "firstSeen");
    assertThat(first.get("id").asText()).isEqualTo(full.id());
    assertThat(first.get("score").floatValue()).isEqualTo(0.875f);
    assertThat(first.get("width").asInt()).isEqualTo(640);
    assertThat(first.get("height").asInt()).isEqualTo(480);
    // The index's quality, the one results are ranked by, wins over the catalog's.
    assertThat(first.get("quality").floatValue()).isEqualTo(0.75f);
    assertThat(first.get("firstSeen").asText()).isEqualTo("2026-11-30T10:15:30.123Z");
    assertThat(first.get("titles").get(0).asText()).isEqualTo("One does not \"simply\"");
    assertThat(first.get("titles").get(1).asText()).isEqualTo("ünïcödé");
    assertThat(first.get("urls").get(0).asText()).isEqualTo("https://example.org/a.jpg");
    for (String size : ServingApp.THUMB_SIZES) {
      JsonNode t = first.get("thumbnails").get(size);
      assertThat(t.get("url").asText())
          .isEqualTo("/api/images/" + full.id() + "/thumbnail/" + size);
      assertThat(t.get("width").asInt()).isEqualTo(full.thumbs().get(size).width());
    }
    JsonNode second = json.get("results").get(1);
    assertThat(second.get("score").floatValue()).isEqualTo(-0.5f);
    assertThat(second.get("quality").isNull())
        .isTrue(); // neither the index nor the catalog has one
    assertThat(second.get("firstSeen").isNull()).isTrue();
    assertThat(second.get("thumbnails").size()).isZero();
    assertThat(second.get("titles").size()).isZero();

    JsonNode last = Json.mapper().readTree(ServingApp.page(new Searcher.Page(List.of(), null)));
    assertThat(last.get("results").size()).isZero();
    assertThat(last.get("cursor").isNull()).isTrue();
  }
}
