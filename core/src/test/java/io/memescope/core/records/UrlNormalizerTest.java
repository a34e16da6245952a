package io.memescope.core.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UrlNormalizerTest {
  @Test
  void spellings_of_one_resource_normalise_alike() {
    String expected = "https://i.redd.it/abc.jpg";
    assertThat(UrlNormalizer.normalise("HTTPS://I.Redd.IT:443/abc.jpg#top")).isEqualTo(expected);
    assertThat(UrlNormalizer.normalise("https://i.redd.it/x/../abc.jpg?utm_source=x&fbclid=1"))
        .isEqualTo(expected);
    assertThat(UrlNormalizer.normalise("http://example.com")).isEqualTo("http://example.com/");
    assertThat(UrlNormalizer.normalise("http://example.com:8080/a?b=2&a=1"))
        .isEqualTo("http://example.com:8080/a?b=2&a=1");
  }

  @Test
  void urls_that_http_clients_fetch_but_java_net_uri_refuses_are_kept_encoded() {
    // Counted as bad_url until 2026-12-05, though browsers and the ingest job's client fetch them.
    assertThat(UrlNormalizer.normalise("https://i.example.com/funny cat.jpg?utm_source=x&a={1}"))
        .isEqualTo("https://i.example.com/funny%20cat.jpg?a=%7B1%7D");
    assertThat(UrlNormalizer.normalise("https://IMG_CDN.example.com:443/a/../b|c.png#x"))
        .isEqualTo("https://img_cdn.example.com/b%7Cc.png");
    assertThat(UrlNormalizer.normalise("http://img_cdn.example.com:8080/a.png"))
        .isEqualTo("http://img_cdn.example.com:8080/a.png");
  }

  /**
   * A character outside ASCII and the escapes of its UTF-8 bytes are one URL, in the path and the
   * query, through either parser. Escapes already there are left as written, in their case, and so
   * are escaped unreserved characters: a host that signs its URLs checks the bytes it is sent.
   */
  @Test
  void characters_outside_ascii_are_escaped_as_clients_send_them() {
    String cafe = "https://i.example.com/caf%C3%A9/%F0%9F%98%82.jpg?q=%C3%A9t%C3%A9";
    assertThat(UrlNormalizer.normalise("https://i.example.com/café/\uD83D\uDE02.jpg?q=été"))
        .isEqualTo(cafe);
    assertThat(UrlNormalizer.normalise(cafe)).isEqualTo(cafe);
    assertThat(UrlNormalizer.normalise("https://i.example.com/%7euser/caf%c3%a9.png?s=%2b"))
        .isEqualTo("https://i.example.com/%7euser/caf%c3%a9.png?s=%2b");
    // Through OkHttp's lenient parse too (the space), with a Unicode host.
    assertThat(UrlNormalizer.normalise("https://bücher.example/é t.jpg"))
        .isEqualTo("https://xn--bcher-kva.example/%C3%A9%20t.jpg");
    assertThat(UrlHash.of(UrlNormalizer.normalise("https://i.example.com/café.jpg")))
        .isEqualTo(UrlHash.of(UrlNormalizer.normalise("https://i.example.com/caf%C3%A9.jpg")));
  }

  @Test
  void unusable_urls_say_why() {
    assertThatThrownBy(() -> UrlNormalizer.normalise("javascript:alert(1)"))
        .hasMessageContaining("unsupported URL scheme");
    assertThatThrownBy(() -> UrlNormalizer.normalise("http://exa mple.com/"))
        .hasMessageContaining("not a URL");
  }

  @Test
  void records_round_trip_as_versioned_json_and_ignore_unknown_fields() throws Exception {
    CrawlRecord record =
        CrawlRecord.of(
            "https://i.redd.it/abc.jpg",
            "reddit:memes",
            Instant.parse("2026-11-23T12:00:00Z"),
            "when the code compiles",
            "https://reddit.com/r/memes/comments/1",
            "u1",
            Map.of("score", "42"));

    String json = new String(Json.write(record), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(json).contains("\"v\":1").contains("\"discoveredAt\":\"2026-11-23T12:00:00Z\"");
    assertThat(record.urlHash()).hasSize(32).isEqualTo(UrlHash.of("https://i.redd.it/abc.jpg"));

    byte[] future = json.replace("{\"v\":1", "{\"v\":1,\"newField\":[1,2]").getBytes();
    assertThat(Json.read(future, CrawlRecord.class)).isEqualTo(record);
  }
}
