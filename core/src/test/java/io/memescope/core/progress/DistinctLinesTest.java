package io.memescope.core.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DistinctLinesTest {
  @Test
  void a_line_equal_to_the_one_before_is_not_passed_on_again() {
    List<String> out = new ArrayList<>();
    DistinctLines lines = new DistinctLines(out::add);
    for (String l : List.of("a 10%\r", "a 10%", "a 50%", "a 100%", " a 100% ", "a 50%")) {
      lines.accept(l);
    }
    assertThat(out).containsExactly("a 10%", "a 50%", "a 100%", "a 50%");
  }
}
