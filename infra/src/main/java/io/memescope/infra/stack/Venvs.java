package io.memescope.infra.stack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Python virtual environments the stack makes for itself (Milvus Lite, the model exporter). */
public final class Venvs {
  private Venvs() {}

  /**
   * Whether {@code python} runs pip (asked as a module, as the installs run it). An environment
   * whose Python does not is half made: Debian's python3 without python3-venv creates bin/python,
   * then fails at ensurepip, and kept, every later install failed with "No module named pip" even
   * after the package was installed. Such an environment is made again with {@code --clear}.
   */
  public static boolean pipRuns(Path python) {
    try {
      Process p =
          new ProcessBuilder(python.toString(), "-m", "pip", "--version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while asking " + python + " for pip");
    }
  }
}
