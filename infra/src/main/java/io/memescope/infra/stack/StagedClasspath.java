package io.memescope.infra.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A process's copy of what this repository built (folders of classes, jars under the repository),
 * so that it does not load classes from the build outputs themselves. {@code ./memescope} rebuilds
 * in place before any command when a source changed, under JVMs that still load classes lazily: one
 * would fail on a class it loads later, or mix old classes with new. Dependencies (Maven's
 * repository) are not copied: a build does not rewrite them.
 *
 * <p>Used by every process the stack starts ({@link FlinkService}, {@link ApplicationProcess}) and
 * by the module commands the CLI runs (train, crawl, sources), one copy per process.
 */
public final class StagedClasspath {
  private StagedClasspath() {}

  /** The entries of a classpath string. */
  public static List<Path> entries(String classpath) {
    return Stream.of(classpath.split(java.io.File.pathSeparator))
        .filter(e -> !e.isBlank())
        .map(Path::of)
        .toList();
  }

  /**
   * Empties {@code lib} (classes deleted from the build must not linger in the copy), copies the
   * build outputs among {@code entries} into it, and returns the classpath with those copies in
   * their place.
   */
  public static String stage(Path lib, List<Path> entries) throws IOException {
    return stage(Runtimes.root(), lib, entries);
  }

  /** {@link #stage(Path, List)} with the repository at {@code root}. */
  public static String stage(Path root, Path lib, List<Path> entries) throws IOException {
    deleteTree(lib);
    Files.createDirectories(lib);
    List<String> out = new ArrayList<>();
    for (Path entry : entries) {
      Path copy = staged(root, lib, entry);
      if (copy == null) {
        out.add(entry.toString());
      } else {
        copyTree(entry, copy);
        out.add(copy.toString());
      }
    }
    return String.join(java.io.File.pathSeparator, out);
  }

  /**
   * The build outputs among {@code entries} whose copy in {@code lib} is missing or differs: a jar
   * by its file name, a folder of classes as "MODULE's classes".
   */
  public static List<String> stale(Path lib, List<Path> entries) {
    return stale(Runtimes.root(), lib, entries);
  }

  static List<String> stale(Path root, Path lib, List<Path> entries) {
    List<String> out = new ArrayList<>();
    for (Path entry : entries) {
      Path copy = staged(root, lib, entry);
      if (copy != null && differs(entry, copy)) {
        out.add(
            Files.isDirectory(entry)
                ? module(entry) + "'s classes"
                : entry.getFileName().toString());
      }
    }
    return out;
  }

  /**
   * Where {@code entry} is staged in {@code lib}: a build output of this repository (a folder of
   * classes, or a jar); null for anything else, a dependency in Maven's repository above all.
   */
  static Path staged(Path root, Path lib, Path entry) {
    // Real paths: a checkout reached through a symbolic link has its root given one way (the
    // script's `pwd`) and its build outputs the other (Maven's).
    if (!real(entry).startsWith(real(root))) {
      return null;
    }
    if (Files.isDirectory(entry)) {
      return lib.resolve(module(entry) + "-classes");
    }
    return Files.isRegularFile(entry) ? lib.resolve(entry.getFileName()) : null;
  }

  private static Path real(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize(); // not there (yet): as written
    }
  }

  /** The module of a folder of classes, {@code <module>/target/classes}. */
  private static String module(Path classes) {
    Path target = classes.toAbsolutePath().normalize().getParent();
    Path module = target == null ? null : target.getParent();
    return module == null || module.getFileName() == null
        ? classes.getFileName().toString()
        : module.getFileName().toString();
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
      Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** Deletes {@code dir} and everything under it; nothing if it does not exist. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
