package io.memescope.infra.stack;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.memescope.core.config.MemescopeConfig;
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

  /**
   * The settings as another process of the stack must read them. The stack's processes and the
   * Flink TaskManagers run in directories of their own, so every path that resolves against where
   * the CLI runs goes to them absolute: {@code home}, the file roots, and {@code model.dir} (which
   * resolves against the repository, where {@code models/} is).
   */
  public static Config settingsForProcesses(MemescopeConfig config) {
    return config
        .source()
        .withValue("home", value(config.home().toAbsolutePath().normalize().toString()))
        .withValue(
            "model.dir",
            value(root().resolve(config.model().dir()).toAbsolutePath().normalize().toString()))
        .withValue("ingest.fetch.file-roots", value(config.ingest().fileRoots()))
        .withValue(
            "serving.file-roots",
            value(config.serving().fileRoots().stream().map(Path::toString).toList()));
  }

  private static com.typesafe.config.ConfigValue value(Object v) {
    return ConfigValueFactory.fromAnyRef(v);
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
