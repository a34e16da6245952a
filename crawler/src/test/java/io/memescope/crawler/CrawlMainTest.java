package io.memescope.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.infra.testing.Console;
import io.memescope.infra.testing.Console.Outcome;
import org.junit.jupiter.api.Test;

/** {@code memescope crawl}'s command line, before it connects to anything. */
class CrawlMainTest {
  @Test
  void help_names_the_command_as_it_is_typed() {
    Outcome o = run("--help");
    assertThat(o.code()).isZero();
    assertThat(o.out()).startsWith("Usage: memescope crawl").contains("--max-pages");
  }

  @Test
  void no_pages_is_refused_before_anything_connects() {
    // No stack is running for this test: a refusal after connecting would take the driver's
    // timeout and say something else.
    for (String pages : new String[] {"0", "-3"}) {
      Outcome o = run("--max-pages", pages, "--set", "cassandra.native-port=9", "s");
      assertThat(o.code()).isEqualTo(1);
      assertThat(o.err())
          .isEqualTo("memescope crawl: --max-pages must be at least 1, not " + pages + "\n");
    }
  }

  private static Outcome run(String... args) {
    return Console.capture(() -> CrawlMain.run(args));
  }
}
