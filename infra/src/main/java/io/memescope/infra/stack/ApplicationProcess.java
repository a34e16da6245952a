package io.memescope.infra.stack;

import com.typesafe.config.ConfigRenderOptions;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

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
    // The owner's only: they may hold the admin key or a password set in the environment.
    SecretFile.write(
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
    try {
      return StagedClasspath.stage(lib, classpathEntries(module));
    } catch (IOException e) {
      throw new StackException(name() + ": cannot stage its classpath in " + lib + ": " + e);
    }
  }

  /** What {@link #stagedClasspath} copies from {@code module}'s classpath. */
  protected abstract String module();

  @Override
  public Optional<String> outdated(String commandLine) {
    return olderBuild(
        StagedClasspath.stale(dataDir().resolve("lib"), classpathEntries(module())), "");
  }

  private static List<Path> classpathEntries(String module) {
    return StagedClasspath.entries(Runtimes.applicationClasspath(module));
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
