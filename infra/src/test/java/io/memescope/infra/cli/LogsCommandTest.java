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
  void the_end_of_a_long_log_is_read_from_its_end_and_a_byte_that_is_not_utf8_is_shown_as_such()
      throws Exception {
    // Until 2026-12-07 the whole file was read, strictly: one invalid byte anywhere (a process
    // under a Latin-1 locale) and the command failed with "Input length = 1".
    Path log = home.resolve("logs/kafka.log");
    Files.createDirectories(log.getParent());
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      text.append("line ").append(i).append('\n');
    }
    byte[] head = "caf\u00e9 in Latin-1: caf".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (var out = Files.newOutputStream(log)) {
      out.write(head);
      out.write(new byte[] {(byte) 0xe9, '\n'});
      out.write(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.write("last, no newline".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertThat(run("logs", "kafka", "-n", "3"))
        .isEqualTo(new Outcome(0, "line 99998\nline 99999\nlast, no newline\n", ""));
    String all = run("logs", "kafka", "-n", "200000").out();
    assertThat(all).startsWith("caf\u00e9 in Latin-1: caf\ufffd\nline 0\n");
    assertThat(all.lines()).hasSize(100_002);
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
