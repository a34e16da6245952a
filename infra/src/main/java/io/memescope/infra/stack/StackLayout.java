package io.memescope.infra.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the local stack keeps things, all under one home directory: {@code data/<service>}, {@code
 * logs/<service>.log}, {@code run/<service>.pid}, {@code conf/<service>}.
 */
public record StackLayout(Path home) {
  public StackLayout {
    home = home.toAbsolutePath().normalize();
  }

  public Path dataDir(String service) {
    return home.resolve("data").resolve(service);
  }

  public Path logFile(String service) {
    return home.resolve("logs").resolve(service + ".log");
  }

  public Path pidFile(String service) {
    return home.resolve("run").resolve(service + ".pid");
  }

  public Path confDir(String service) {
    return home.resolve("conf").resolve(service);
  }

  public Path lockFile() {
    return home.resolve("run").resolve("stack.lock");
  }

  /** A path as people should read it: relative to the working directory when it is below it. */
  public static String show(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    return path.startsWith(cwd) ? cwd.relativize(path).toString() : path.toString();
  }

  static Path createDirectories(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /**
   * A local folder as Flink's file systems name it: {@code file://} and the absolute path as it is
   * (Flink's {@code Path} does not decode {@code %} escapes).
   */
  public static String flinkPath(Path path) {
    return "file://" + path.toAbsolutePath();
  }
}
