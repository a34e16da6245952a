package io.memescope.infra.flink;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.infra.stack.Runtimes;
import io.memescope.infra.stack.StackException;
import io.memescope.infra.stack.StackLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Submits the ingest job (module flink-jobs) to the session cluster, or finds it running. A job
 * submitted again after the cluster stopped resumes from its newest retained checkpoint, so the
 * seen-URL and de-duplication state survive {@code down} and {@code up}.
 */
public final class IngestJobs {
  public static final String ENTRY_CLASS = "io.memescope.flink.ingest.IngestJob";

  private final MemescopeConfig config;
  private final FlinkRestClient rest;

  public IngestJobs(MemescopeConfig config) {
    this.config = config;
    this.rest = new FlinkRestClient(config.flink().restUrl(), Duration.ofSeconds(30));
  }

  /** What {@link #ensureRunning} did. */
  public record Submission(String jobId, boolean reused, Optional<String> restoredFrom) {}

  /** The running (or starting) ingest job, if any. */
  public Optional<FlinkRestClient.Job> running() {
    return rest.jobs().stream()
        .filter(j -> j.name().equals(config.ingest().jobName()))
        .filter(
            j -> List.of("RUNNING", "CREATED", "INITIALIZING", "RESTARTING").contains(j.state()))
        .findFirst();
  }

  /** Submits the job unless it runs already. */
  public Submission ensureRunning(Path jobJar) {
    Optional<FlinkRestClient.Job> job = running();
    if (job.isPresent()) {
      return new Submission(job.get().id(), true, Optional.empty());
    }
    if (!Files.isRegularFile(jobJar)) {
      throw new StackException(
          "the ingest job jar " + jobJar + " is missing; build with ./memescope (it builds)");
    }
    String encoded = encodedSettings();
    Optional<String> checkpoint = newestCheckpoint();
    String jarId = rest.uploadJar(jobJar);
    try {
      String id =
          rest.runJar(
              jarId, ENTRY_CLASS, List.of("--config-base64", encoded), checkpoint.orElse(null));
      Files.createDirectories(lastJobFile().getParent());
      Files.writeString(lastJobFile(), id + "\n");
      return new Submission(id, false, checkpoint);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      rest.deleteJar(jarId);
    }
  }

  /** The entry class of the bounded job that re-scores every image with one quality model. */
  public static final String RESCORE_ENTRY_CLASS = "io.memescope.flink.rescore.RescoreJob";

  /**
   * Submits the re-scoring job for quality model {@code version} (from the same jar as the ingest
   * job) and returns its id; it runs beside the ingest job and finishes by itself.
   */
  public String submitRescore(Path jobJar, String version) {
    // Checked first: without the jar there is no new job, and the running one still has work.
    if (!Files.isRegularFile(jobJar)) {
      throw new StackException(
          "the job jar " + jobJar + " is missing; build with ./memescope (it builds)");
    }
    // Another version's re-scoring, still running, would overwrite slices this one has done.
    for (String older : cancelRescores()) {
      System.out.println(
          "cancelled the re-scoring job "
              + older
              + " of another version (or an earlier publication)");
    }
    String encoded = encodedSettings();
    String jarId = rest.uploadJar(jobJar);
    try {
      return rest.runJar(
          jarId, RESCORE_ENTRY_CLASS, List.of("--config-base64", encoded, "--version", version));
    } finally {
      rest.deleteJar(jarId);
    }
  }

  /**
   * The settings as a job's {@code --config-base64} argument. The TaskManagers run in directories
   * of their own on this machine: paths go absolute.
   */
  private String encodedSettings() {
    String hocon =
        Runtimes.settingsForProcesses(config)
            .root()
            .render(com.typesafe.config.ConfigRenderOptions.concise());
    return Base64.getEncoder().encodeToString(hocon.getBytes(StandardCharsets.UTF_8));
  }

  /** The shaded job jar the build makes (flink-jobs/target/*-job.jar). */
  public static Path jobJar() {
    Path target = Runtimes.root().resolve("flink-jobs/target");
    try (java.util.stream.Stream<Path> files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith("-job.jar"))
          .findFirst()
          .orElseThrow(() -> new StackException("no job jar in " + target + "; run ./memescope"));
    } catch (IOException e) {
      throw new StackException("no job jar in " + target + "; run ./memescope (it builds)");
    }
  }

  /** Cancels every running re-scoring job of this ingest job; returns their ids. */
  public List<String> cancelRescores() {
    String prefix = config.ingest().jobName() + "-rescore-";
    List<String> cancelled = new java.util.ArrayList<>();
    for (FlinkRestClient.Job j : rest.jobs()) {
      if (j.name().startsWith(prefix)
          && List.of("RUNNING", "CREATED", "INITIALIZING", "RESTARTING").contains(j.state())) {
        try {
          rest.cancel(j.id());
        } catch (FlinkRestClient.FlinkRestException e) {
          // An older version's job skips its slices once a newer version is registered, and can
          // finish between the listing and the cancel, which Flink then refuses (409): done, or
          // being cancelled by another publication, is as good as cancelled. Anything else is an
          // error, and so is a cluster that does not answer.
          if (e.status() != 409) {
            throw e;
          }
          String state;
          try {
            state = rest.jobState(j.id());
          } catch (RuntimeException lookup) {
            e.addSuppressed(lookup);
            throw e;
          }
          if (List.of("FINISHED", "CANCELED", "FAILED", "CANCELLING").contains(state)) {
            continue;
          }
          throw e;
        }
        cancelled.add(j.id());
      }
    }
    return cancelled;
  }

  /** The state of a job by id (RUNNING, FINISHED, FAILED, ...). */
  public String state(String jobId) {
    return rest.jobState(jobId);
  }

  /** Cancels the running job; its last checkpoint is kept for the next submission. */
  public Optional<String> cancel() {
    Optional<FlinkRestClient.Job> job = running();
    job.ifPresent(j -> rest.cancel(j.id()));
    return job.map(FlinkRestClient.Job::id);
  }

  /** Where the id of the job's last submission is kept, per job name. */
  private Path lastJobFile() {
    return new StackLayout(config.home())
        .dataDir("flink-jobmanager")
        .resolve("ingest-" + config.ingest().jobName() + ".last-job");
  }

  /** The newest completed checkpoint of the job's last run, if one was retained. */
  Optional<String> newestCheckpoint() {
    Path root;
    try {
      if (!Files.isRegularFile(lastJobFile())) {
        return Optional.empty();
      }
      root =
          new StackLayout(config.home())
              .dataDir("flink-jobmanager")
              .resolve("checkpoints")
              .resolve(Files.readString(lastJobFile()).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> files =
        Files.find(root, 2, (p, a) -> p.getFileName().toString().equals("_metadata"))) {
      return files
          .map(Path::getParent)
          .max(Comparator.comparing(IngestJobs::modified))
          .map(p -> p.toUri().toString());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static java.nio.file.attribute.FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p.resolve("_metadata"));
    } catch (IOException e) {
      return java.nio.file.attribute.FileTime.fromMillis(0);
    }
  }
}
