package io.memescope.core.rating;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PairKeyTest {
  @Test
  void ids_give_back_the_two_images_of_a_key_in_key_order() {
    assertThat(PairKey.ids(PairKey.of("b", "a"))).containsExactly("a", "b");
    assertThat(PairKey.ids("no-colon")).isNull();
  }
}
