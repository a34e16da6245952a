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
  void select_refuses_a_bad_count_strategy_queue_or_label_before_connecting_to_anything() {
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
    for (String label : new String[] {" ", "x".repeat(101)}) {
      Outcome iteration = run("select", "--iteration", label);
      assertThat(iteration.code()).as("--iteration '%s'", label).isEqualTo(2);
      assertThat(iteration.err()).contains("--iteration must be 1 to 100 characters, not blank");
    }
    Outcome many = run("select", "-n", "30000");
    assertThat(many.code()).isEqualTo(2);
    assertThat(many.err())
        .contains("-n 30000 is more than the 20000 candidate pairs a selection ranks")
        .contains("trainer.active.candidates");
  }

  @Test
  void publish_needs_the_version_to_publish() {
    Outcome none = run("publish");
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("Missing required parameter: 'VERSION'");
  }

  @Test
  void versions_marks_the_announced_version_live_and_a_newer_one_never_announced() {
    java.time.Instant t = java.time.Instant.parse("2026-12-04T22:00:00Z");
    List<io.memescope.core.quality.QualityRegistry.Entry> all =
        List.of(entry("q-c", t.plusSeconds(20)), entry("q-b", t.plusSeconds(10)), entry("q-a", t));
    List<String> lines = TrainMain.Versions.lines(all, java.util.Optional.of("q-b"));
    assertThat(lines.get(0)).startsWith("VERSION").contains("PUBLISHED");
    assertThat(lines.get(1)).startsWith("q-c").endsWith("(not announced)");
    assertThat(lines.get(2)).startsWith("q-b").endsWith("(live)");
    assertThat(lines.get(3)).startsWith("q-a").doesNotContain("(");
    assertThat(lines.get(4)).contains("`memescope train publish q-c` makes it live");

    List<String> newestLive = TrainMain.Versions.lines(all, java.util.Optional.of("q-c"));
    assertThat(newestLive).hasSize(4);
    assertThat(newestLive.get(1)).endsWith("(live)");
    assertThat(newestLive.get(2)).doesNotContain("(");

    List<String> none = TrainMain.Versions.lines(all, java.util.Optional.of(""));
    assertThat(none.subList(1, 4)).allMatch(l -> l.endsWith("(not announced)"));

    List<String> unknown = TrainMain.Versions.lines(all, java.util.Optional.empty());
    assertThat(unknown).hasSize(4).noneMatch(l -> l.contains("(live)") || l.contains("announced"));
  }

  private static io.memescope.core.quality.QualityRegistry.Entry entry(
      String version, java.time.Instant at) {
    return new io.memescope.core.quality.QualityRegistry.Entry(
        version,
        at,
        new io.memescope.core.quality.QualitySpec(List.of("d"), 4, List.of(2), 1, 0),
        null,
        null,
        java.util.Map.of("accuracy", 0.8),
        100,
        null);
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
