package io.memescope.infra.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A module's main class for {@link ModuleLauncherTest}: says its classpath, waits for the test to
 * "rebuild" (delete the build outputs), then loads a class it has not loaded yet.
 */
public final class StagingProbe {
  private StagingProbe() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Files.writeString(out.resolveSibling("started"), System.getProperty("java.class.path"));
    Path go = out.resolveSibling("go");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(go)) {
      if (System.nanoTime() > deadline) {
        System.exit(3);
      }
      Thread.sleep(20);
    }
    Files.writeString(out, Late.where());
  }

  static final class Late {
    private Late() {}

    static String where() {
      return "loaded from " + Late.class.getProtectionDomain().getCodeSource().getLocation();
    }
  }
}
