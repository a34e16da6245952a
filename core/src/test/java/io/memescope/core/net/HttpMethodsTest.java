package io.memescope.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HttpMethodsTest {
  @Test
  void known_methods_keep_their_name_and_any_other_is_one_label() {
    assertThat(HttpMethods.label("GET")).isEqualTo("GET");
    assertThat(HttpMethods.label("PATCH")).isEqualTo("PATCH");
    assertThat(HttpMethods.label("FOO123")).isEqualTo("OTHER");
    assertThat(HttpMethods.label("get")).as("methods are case-sensitive").isEqualTo("OTHER");
    assertThat(HttpMethods.label(null)).isEqualTo("OTHER");
  }
}
