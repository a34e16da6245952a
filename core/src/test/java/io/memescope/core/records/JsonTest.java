package io.memescope.core.records;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

/** Errors about a request body say where and what, without Jackson's internals. */
class JsonTest {
  private static String describe(String body) {
    try {
      Json.mapper().readTree(body);
    } catch (JsonProcessingException e) {
      return Json.describe(e);
    }
    throw new AssertionError("parsed: " + body);
  }

  @Test
  void a_truncated_body_says_where_it_ended_and_what_was_missing() {
    String d = describe("{\"terms\": [1,");
    assertThat(d).startsWith("line 1, column ").contains("Unexpected end-of-input");
    assertThat(d).doesNotContain("Source").doesNotContain("StreamReadFeature").doesNotContain("(");
  }

  @Test
  void nan_is_named_without_the_feature_that_would_allow_it() {
    String d = describe("{\"limit\": NaN}");
    assertThat(d).contains("'NaN'").doesNotContain("JsonReadFeature").doesNotContain("enable");
  }

  @Test
  void garbage_says_which_token() {
    assertThat(describe("{not json")).startsWith("line 1, column 2: ").doesNotContain("Source");
  }
}
