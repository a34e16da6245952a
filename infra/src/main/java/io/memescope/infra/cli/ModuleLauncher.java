package io.memescope.infra.cli;

import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.stack.StackException;
import io.memescope.infra.stack.StagedClasspath;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a command of an application module (crawler, trainer) in a process of its own, with the
 * CLI's settings: each module has its own classpath, as every application process of the stack
 * does.
 */
final class ModuleLauncher {
  private ModuleLauncher() {}

  static int run(Memescope parent, String module, String mainClass, String verb, List<String> args)
      throws IOException, InterruptedException {
    return run(parent, Runtimes.root(), temporaryFolder(), module, mainClass, verb, args);
  }

  /**
   * @param root the repository, whose {@code <module>/target} holds the module's build
   * @param tmp where the module's copy of its build outputs goes for the run
   */
  static int run(
      Memescope parent,
      Path root,
      Path tmp,
      String module,
      String mainClass,
      String verb,
      List<String> args)
      throws IOException, InterruptedException {
    Path classpath = root.resolve(module + "/target/classpath.txt");
    if (!Files.isRegularFile(classpath)) {
      throw new StackException(
          verb
              + ": module "
              + module
              + " is not built; run ./memescope (it builds) or mvn package");
    }
    sweep(tmp);
    // The run loads classes from a copy of the build outputs, as the stack's processes do
    // (StagedClasspath): a rebuild during a long `train run` would otherwise rewrite its classes
    // under it.
    // The folder is made private to this user (0700) by createTempDirectory, and the copy goes
    // into a folder inside it: emptying and making the copy's folder again in a shared /tmp would
    // let another user put one of theirs, writable to them, in its place.
    Path lib =
        Files.createTempDirectory(tmp, PREFIX + module + "-" + ProcessHandle.current().pid() + "-");
    try {
      String staged =
          StagedClasspath.stage(
              root,
              lib.resolve("classpath"),
              StagedClasspath.entries(
                  root.resolve(module + "/target/classes")
                      + java.io.File.pathSeparator
                      + Files.readString(classpath).strip()));
      return launch(parent, root, lib, staged, module, mainClass, args);
    } finally {
      deleteQuietly(lib);
    }
  }

  private static int launch(
      Memescope parent,
      Path root,
      Path lib,
      String staged,
      String module,
      String mainClass,
      List<String> args)
      throws IOException, InterruptedException {
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
    command.add(staged);
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
    // Who uses the copy: if this JVM is killed outright, the module's runs on, and the next
    // command's sweep must leave its copy alone until both are gone.
    try {
      Files.writeString(lib.resolve(PIDS), ProcessHandle.current().pid() + "\n" + p.pid() + "\n");
    } catch (IOException e) {
      // Then only this JVM's pid, in the folder's name, keeps a sweep off the copy; the module's
      // JVM runs on it all the same.
    }
    // A kill of this JVM (not Ctrl-C, which reaches both) would leave the module's running on:
    // it gets a SIGTERM, and its own shutdown hooks run (a trainer gives its lease back).
    Thread stop =
        new Thread(
            () -> {
              p.destroy();
              try {
                if (p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                  deleteQuietly(lib);
                }
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

  private static final String PREFIX = "memescope-run-";
  private static final String PIDS = "pids";
  private static final Pattern COPY = Pattern.compile("memescope-run-[a-z-]+-(\\d+)-\\d+");

  private static Path temporaryFolder() {
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /**
   * Deletes the copies in {@code tmp} left by runs whose launching JVM was killed outright (no
   * shutdown hook ran), once neither it nor the module's JVM is alive.
   */
  static void sweep(Path tmp) {
    java.nio.file.attribute.UserPrincipal me;
    try {
      me =
          tmp.getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByName(System.getProperty("user.name"));
    } catch (IOException | UnsupportedOperationException e) {
      return; // whose folders are ours cannot be told: sweep none
    }
    try (DirectoryStream<Path> copies = Files.newDirectoryStream(tmp, PREFIX + "*")) {
      for (Path copy : copies) {
        Matcher m = COPY.matcher(copy.getFileName().toString());
        try {
          // Only this user's own folders: another user's could be made to redirect the deletes.
          if (!m.matches()
              || !Files.isDirectory(copy, LinkOption.NOFOLLOW_LINKS)
              || !me.equals(Files.getOwner(copy, LinkOption.NOFOLLOW_LINKS))) {
            continue;
          }
          List<Long> pids = new ArrayList<>(List.of(Long.parseLong(m.group(1))));
          Path file = copy.resolve(PIDS);
          if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            for (String line : Files.readAllLines(file)) {
              if (!line.isBlank()) {
                pids.add(Long.parseLong(line.strip()));
              }
            }
          }
          if (pids.stream().noneMatch(pid -> ProcessHandle.of(pid).isPresent())) {
            deleteQuietly(copy);
          }
        } catch (IOException | RuntimeException e) {
          // one going away, or a pids file cut short: the next sweep looks again
        }
      }
    } catch (IOException | RuntimeException e) {
      // a temporary folder that cannot be listed: nothing to sweep
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      StagedClasspath.deleteTree(dir);
    } catch (IOException | java.io.UncheckedIOException e) {
      // a leftover in the temporary folder; the next run's sweep tries again
    }
  }
}
