package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.infra.testing.Console.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code memescope logs}: the end of a service's log, or a clear refusal. */
class LogsCommandTest {
  @TempDir Path home;

  @Test
  void prints_the_last_lines_asked_for() throws Exception {
    Path log = home.resolve("logs/kafka.log");
    Files.createDirectories(log.getParent());
    Files.writeString(log, "one\ntwo\nthree\n");
    assertThat(run("logs", "kafka", "-n", "2")).isEqualTo(new Outcome(0, "two\nthree\n", ""));
    assertThat(run("logs", "kafka", "-n", "0")).isEqualTo(new Outcome(0, "", ""));
    assertThat(run("logs", "kafka").out()).isEqualTo("one\ntwo\nthree\n");
  }

  @Test
  void a_negative_count_is_refused_instead_of_printing_nothing() throws Exception {
    Path log = home.resolve("logs/kafka.log");
    Files.createDirectories(log.getParent());
    Files.writeString(log, "one\n");
    assertThat(run("logs", "kafka", "-n", "-3"))
        .isEqualTo(new Outcome(1, "", "memescope: logs: --lines must be 0 or more, not -3\n"));
  }

  private Outcome run(String... args) {
    return Cli.run(home, args);
  }
}
