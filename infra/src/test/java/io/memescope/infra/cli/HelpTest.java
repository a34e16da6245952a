package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command of {@code memescope} answers {@code --help} with its usage (an option of a command
 * that clashes with the standard ones makes picocli drop them silently). {@code train}, {@code
 * crawl} and {@code sources} hand their arguments to a module's own command line (TrainMainTest
 * checks the trainer's the same way).
 */
class HelpTest {
  @Test
  void every_command_answers_help_with_its_usage() {
    List<List<String>> paths = new ArrayList<>();
    collect(new CommandLine(new Memescope()), new ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThan(10);
    for (List<String> path : paths) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = new CommandLine(new Memescope());
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      int code = cli.execute(args.toArray(String[]::new));
      assertThat(code).as("memescope %s --help: %s", String.join(" ", path), err).isZero();
      assertThat(out.toString()).as("memescope %s --help", path).startsWith("Usage: memescope");
    }
  }

  private static void collect(CommandLine cli, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    cli.getSubcommands()
        .forEach(
            (name, sub) -> {
              // A command that takes unmatched arguments runs a module's own command line in a
              // process of its own (train, crawl, sources); picocli's help command has no --help.
              if (!sub.getCommandSpec().unmatchedArgsBindings().isEmpty() || name.equals("help")) {
                return;
              }
              if (sub.getCommandSpec().name().equals(name)) { // not an alias
                List<String> next = new ArrayList<>(path);
                next.add(name);
                collect(sub, next, out);
              }
            });
  }
}
