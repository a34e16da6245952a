package io.memescope.infra.stack;

import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One server process of the local stack: how to prepare its files, the command that runs it, the
 * ports it binds and how to tell that it is ready. The {@link Supervisor} does the rest.
 */
public abstract class Service {
  protected final MemescopeConfig config;
  protected final StackLayout layout;

  protected Service(MemescopeConfig config, StackLayout layout) {
    this.config = config;
    this.layout = layout;
  }

  /** Short name used for files, the CLI and messages, e.g. {@code kafka}. */
  public abstract String name();

  /** The address it binds; the local stack only binds loopback addresses. */
  public abstract String host();

  /** Every port it binds, by the configuration key that sets it. */
  public abstract Map<String, Integer> ports();

  /** What people connect to, e.g. {@code 127.0.0.1:9092} or a URL. */
  public abstract String endpoint();

  /** Writes configuration and initialises storage; runs before every start. */
  protected abstract void prepare(ProgressListener progress) throws IOException;

  /** The full command line; it must contain {@link #dataDir()} so the process can be recognised. */
  protected abstract List<String> command() throws IOException;

  /** A quick check (a few seconds at most) that the service answers its clients. */
  public abstract Health probe();

  /**
   * Application processes (the crawler, later the job submitter, serving, the rater) start after
   * the infrastructure and the schema.
   */
  public boolean application() {
    return false;
  }

  /**
   * When the running process, started with {@code commandLine}, was started from an older build of
   * the project than the one on disk now, what to tell the user; empty when it is current (or this
   * service cannot tell).
   */
  public Optional<String> outdated(String commandLine) {
    return Optional.empty();
  }

  /**
   * What {@link #outdated} says of a process whose staged copies of {@code stale} (build outputs)
   * differ from the build: empty when none does.
   */
  protected Optional<String> olderBuild(List<String> stale, String consequence) {
    return stale.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "runs an older build of "
                + String.join(", ", stale)
                + consequence
                + "; restart it to load the new ones: ./memescope down "
                + name()
                + " && ./memescope up");
  }

  protected Map<String, String> environment() {
    return Map.of();
  }

  /** The signal that asks the process to shut down cleanly. */
  protected String stopSignal() {
    return "TERM";
  }

  public Path dataDir() {
    return layout.dataDir(name());
  }

  public Path logFile() {
    return layout.logFile(name());
  }

  public Path confDir() {
    return layout.confDir(name());
  }

  @Override
  public String toString() {
    return name();
  }
}
