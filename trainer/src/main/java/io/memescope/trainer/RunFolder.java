package io.memescope.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A training run's folder ({@code <runs>/<version>}), made when training starts and written only
 * when it ends: a run that fails, or is stopped (Ctrl-C, a kill), before writing anything leaves no
 * empty folder to be taken for a run. Stopping skips the run's own clean-up, so a shutdown hook
 * removes the folder while it is empty (until 2026-12-07 each stopped run left one).
 */
final class RunFolder implements AutoCloseable {
  private final Path dir;
  private final Thread onExit;

  private RunFolder(Path dir) {
    this.dir = dir;
    this.onExit = new Thread(this::removeIfEmpty, "trainer-run-folder");
  }

  /** Makes {@code dir} and removes it on the way out of the JVM while it is still empty. */
  static RunFolder open(Path dir) throws IOException {
    Files.createDirectories(dir);
    RunFolder folder = new RunFolder(dir);
    Runtime.getRuntime().addShutdownHook(folder.onExit);
    return folder;
  }

  Path dir() {
    return dir;
  }

  /** Removes the folder if nothing was written into it; a folder in use or gone is left. */
  void removeIfEmpty() {
    try (Stream<Path> in = Files.list(dir)) {
      if (in.findAny().isEmpty()) {
        Files.delete(dir);
      }
    } catch (IOException ignored) {
      // gone already, or written to meanwhile: left as it is
    }
  }

  /**
   * Writes {@code file} whole or not at all: through a file beside it, moved over it, so that a
   * full disk leaves an earlier version of it as it was rather than cut short.
   */
  static void writeWhole(Path file, byte[] bytes) throws IOException {
    Path part = file.resolveSibling(file.getFileName() + ".part");
    try {
      Files.write(part, bytes);
      Files.move(
          part,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(part);
      } catch (IOException left) {
        e.addSuppressed(left);
      }
      throw e;
    }
  }

  /** The run is over: the folder stays as it is (the caller removes it if the run failed). */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs, or ran, anyway
    }
  }
}
