package io.memescope.infra.cli;

import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.stack.StackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command of an application module (crawler, trainer) in a process of its own, with the
 * CLI's settings: each module has its own classpath, as every application process of the stack
 * does.
 */
final class ModuleLauncher {
  private ModuleLauncher() {}

  static int run(Memescope parent, String module, String mainClass, String verb, List<String> args)
      throws IOException, InterruptedException {
    Path root = Runtimes.root();
    Path classpath = root.resolve(module + "/target/classpath.txt");
    if (!Files.isRegularFile(classpath)) {
      throw new StackException(
          verb
              + ": module "
              + module
              + " is not built; run ./memescope (it builds) or mvn package");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dmemescope.root=" + root);
    // The module's JVM is the one that does the work (a trainer's heap): the command's options
    // reach it, and not the launching JVM (the memescope script leaves them out there), split on
    // blanks as the script splits them.
    String extra = System.getenv("MEMESCOPE_JAVA_OPTS");
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.strip().split("\\s+")));
    }
    command.add("-cp");
    command.add(
        root.resolve(module + "/target/classes") + ":" + Files.readString(classpath).strip());
    command.add(mainClass);
    command.addAll(args);
    if (!args.contains("--help") && !args.contains("-h") && !args.isEmpty()) {
      if (parent.configFile != null) {
        command.addAll(List.of("--config", parent.configFile.toString()));
      }
      if (parent.home != null) {
        command.addAll(List.of("--home", parent.home.toString()));
      }
      parent.overrides.forEach((k, v) -> command.addAll(List.of("--set", k + "=" + v)));
    }
    Process p = new ProcessBuilder(command).inheritIO().start();
    // A kill of this JVM (not Ctrl-C, which reaches both) would leave the module's running on:
    // it gets a SIGTERM, and its own shutdown hooks run (a trainer gives its lease back).
    Thread stop =
        new Thread(
            () -> {
              p.destroy();
              try {
                p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "stop " + module);
    Runtime.getRuntime().addShutdownHook(stop);
    try {
      return p.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException e) {
        // shutting down: the hook stops it
      }
    }
  }
}
