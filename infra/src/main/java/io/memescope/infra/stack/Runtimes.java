package io.memescope.infra.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the classpath of a service's runtime, written by the build to {@code
 * infra/runtimes/<name>/target/classpath.txt} under the repository root ({@code -Dmemescope.root},
 * set by {@code ./memescope} and by the test runner).
 */
public final class Runtimes {
  private Runtimes() {}

  public static Path root() {
    String root = System.getProperty("memescope.root");
    if (root == null || root.isBlank()) {
      throw new StackException(
          "memescope.root is not set: run Memescope through ./memescope at the repository root");
    }
    return Path.of(root).toAbsolutePath().normalize();
  }

  /** The classpath of an application module's process: its classes and its dependencies. */
  public static String applicationClasspath(String module) {
    Path file = root().resolve(module + "/target/classpath.txt");
    if (!Files.isRegularFile(file)) {
      throw new StackException(
          module
              + ": "
              + file
              + " is missing; build with `mvn -q -DskipTests package` (./memescope does this)");
    }
    try {
      return root().resolve(module + "/target/classes") + ":" + Files.readString(file).strip();
    } catch (IOException e) {
      throw new StackException(module + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  public static String classpath(String runtime) {
    Path file = root().resolve("infra/runtimes/" + runtime + "/target/classpath.txt");
    if (!Files.isRegularFile(file)) {
      throw new StackException(
          runtime
              + ": runtime classpath "
              + file
              + " is missing; build it with `mvn -q -DskipTests package` (./memescope does this)");
    }
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      throw new StackException(runtime + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
