package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code memescope train} command line: help everywhere, errors a user can act on. */
class TrainMainTest {
  private record Outcome(int code, String out, String err) {}

  private static Outcome run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new TrainMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }

  @Test
  void every_command_answers_help() {
    List<List<String>> commands = new ArrayList<>();
    commands.add(List.of());
    new CommandLine(new TrainMain())
        .getSubcommands()
        .keySet()
        .forEach(n -> commands.add(List.of(n)));
    assertThat(commands).hasSizeGreaterThan(3);
    for (List<String> c : commands) {
      List<String> args = new ArrayList<>(c);
      args.add("--help");
      Outcome o = run(args.toArray(String[]::new));
      assertThat(o.code()).as("%s --help: %s", c, o.err()).isZero();
      assertThat(o.out()).as("%s --help", c).startsWith("Usage: memescope train");
    }
    assertThat(run("select", "--help").out()).contains("--model-version").contains("batch-size");
  }

  @Test
  void select_refuses_a_bad_count_strategy_or_queue_before_connecting_to_anything() {
    Outcome zero = run("select", "-n", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("-n must be at least 1, not 0");
    Outcome bogus = run("select", "--strategy", "bogus");
    assertThat(bogus.code()).isEqualTo(2);
    assertThat(bogus.err())
        .contains("no strategy 'bogus'")
        .contains("disagreement, uncertainty, information, random, design");
    Outcome queue = run("select", "--queue", "bad queue!");
    assertThat(queue.code()).isEqualTo(2);
    assertThat(queue.err()).contains("--queue 'bad queue!' must match [a-z0-9][a-z0-9_-]{0,31}");
  }

  @Test
  void publish_needs_the_version_to_publish() {
    Outcome none = run("publish");
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("Missing required parameter: 'VERSION'");
  }

  @Test
  void a_file_system_error_says_what_went_wrong_with_which_file() {
    assertThat(TrainMain.describe(new AccessDeniedException("/proc/x")))
        .isEqualTo("/proc/x: permission denied");
    assertThat(TrainMain.describe(new java.nio.file.FileSystemException("/a", null, "Read-only")))
        .isEqualTo("/a: Read-only");
    assertThat(TrainMain.describe(new IllegalStateException("plain"))).isEqualTo("plain");
  }
}
