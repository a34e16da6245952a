package io.memescope.crawler;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

  private record Outcome(int code, String out, String err) {}

  private static Outcome run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    try {
      int code = CrawlMain.run(args);
      return new Outcome(
          code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
