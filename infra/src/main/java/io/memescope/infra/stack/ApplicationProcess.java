package io.memescope.infra.stack;

import com.typesafe.config.ConfigRenderOptions;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An application module's JVM in the stack (crawler, serving): it reads the stack's settings from a
 * file written at every start, and is ready when an HTTP endpoint of its own answers 200.
 */
abstract class ApplicationProcess extends Service {
  ApplicationProcess(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
  }

  @Override
  public boolean application() {
    return true;
  }

  protected Path settingsFile() {
    return confDir().resolve("memescope.conf");
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    Files.writeString(
        settingsFile(),
        "# The stack's effective settings, written at every start.\n"
            + Runtimes.settingsForProcesses(config)
                .root()
                .render(ConfigRenderOptions.concise().setFormatted(true)));
  }

  /**
   * The module's classpath, with what this repository built (the module's classes, memescope-core's
   * jar) copied into the process's data directory first, as {@link FlinkService} does for Flink. A
   * rebuild while the stack runs ({@code ./memescope} rebuilds before any command when a source
   * changed) rewrites those build outputs in place, under a JVM that still loads classes from them
   * lazily: it would fail on a class it loads later, or mix old classes with new. Until 2026-12-06
   * the crawler, serving and the rater ran from the build outputs themselves.
   *
   * @param module the module's folder ("serving")
   */
  protected String stagedClasspath(String module) {
    Path lib = dataDir().resolve("lib");
    List<String> entries = new ArrayList<>();
    try {
      deleteTree(lib); // classes deleted from the build must not linger in the copy
      Files.createDirectories(lib);
      for (Path entry : classpathEntries(module)) {
        Path copy = staged(lib, entry);
        if (copy == null) {
          entries.add(entry.toString());
        } else {
          copyTree(entry, copy);
          entries.add(copy.toString());
        }
      }
    } catch (IOException e) {
      throw new StackException(name() + ": cannot stage its classpath in " + lib + ": " + e);
    }
    return String.join(":", entries);
  }

  /** What {@link #stagedClasspath} copies from {@code module}'s classpath. */
  protected abstract String module();

  @Override
  public Optional<String> outdated(String commandLine) {
    Path lib = dataDir().resolve("lib");
    List<String> stale = new ArrayList<>();
    for (Path entry : classpathEntries(module())) {
      Path copy = staged(lib, entry);
      if (copy != null && differs(entry, copy)) {
        stale.add(Files.isDirectory(entry) ? module() + "'s classes" : entry.getFileName() + "");
      }
    }
    return olderBuild(stale, "");
  }

  private static List<Path> classpathEntries(String module) {
    return Stream.of(Runtimes.applicationClasspath(module).split(":"))
        .filter(e -> !e.isBlank())
        .map(Path::of)
        .toList();
  }

  /**
   * Where {@code entry} is staged in {@code lib}: a build output of this repository (a folder of
   * classes, or a jar); null for a dependency (Maven's repository), which a build does not rewrite.
   */
  static Path staged(Path lib, Path entry) {
    if (!entry.startsWith(Runtimes.root())) {
      return null;
    }
    if (Files.isDirectory(entry)) {
      // <module>/target/classes
      return lib.resolve(entry.getParent().getParent().getFileName() + "-classes");
    }
    return Files.isRegularFile(entry) ? lib.resolve(entry.getFileName()) : null;
  }

  /** Whether a staged copy differs from the build output: a file changed, added or removed. */
  static boolean differs(Path built, Path copy) {
    try {
      if (Files.isRegularFile(built)) {
        return !Files.isRegularFile(copy) || Files.mismatch(built, copy) != -1;
      }
      if (!Files.isDirectory(copy)) {
        return true;
      }
      List<Path> builtFiles = files(built);
      if (builtFiles.size() != files(copy).size()) {
        return true;
      }
      for (Path file : builtFiles) {
        Path other = copy.resolve(built.relativize(file).toString());
        if (!Files.isRegularFile(other) || Files.mismatch(file, other) != -1) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    if (Files.isRegularFile(from)) {
      Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The URL that answers 200 once the process is ready. */
  protected abstract String readyUrl();

  /** What {@link #probe()} says of a ready process. */
  protected abstract String readyDetail();

  @Override
  public Health probe() {
    try {
      HttpResponse<Void> response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(2))
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(readyUrl()))
                      .timeout(Duration.ofSeconds(3))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200
          ? Health.ok(readyDetail())
          : Health.down(readyUrl() + " answered " + response.statusCode());
    } catch (IOException e) {
      return Health.down(readyUrl() + " not answering");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down("interrupted");
    }
  }
}
