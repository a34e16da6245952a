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

  /** Job states in which a job runs or will run again. */
  private static final java.util.Set<String> ACTIVE =
      java.util.Set.of("RUNNING", "CREATED", "INITIALIZING", "RESTARTING", "RECONCILING");

  /**
   * Job states on the way to an end: such a job still holds its slots and its Kafka group, so no
   * other run is submitted beside it until it has ended.
   */
  private static final java.util.Set<String> ENDING = java.util.Set.of("CANCELLING", "FAILING");

  /** How long a submission waits for a run that is ending. */
  static final Duration ENDING_WAIT = Duration.ofSeconds(60);

  /** The running (or starting) ingest job, if any. */
  public Optional<FlinkRestClient.Job> running() {
    return runs(ACTIVE).stream().findFirst();
  }

  private List<FlinkRestClient.Job> runs(java.util.Set<String> states) {
    return rest.jobs().stream()
        .filter(j -> j.name().equals(config.ingest().jobName()))
        .filter(j -> states.contains(j.state()))
        .toList();
  }

  /**
   * Waits until no run of the job is cancelling or failing: submitting beside one (`ingest cancel
   * && ingest submit`, as the README suggests after a settings change) gave two runs that shared
   * the Kafka group for as long as the old one took to end.
   */
  private void awaitEndingRuns() {
    long deadline = System.nanoTime() + ENDING_WAIT.toNanos();
    List<FlinkRestClient.Job> ending = runs(ENDING);
    while (!ending.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new StackException(
            "the ingest job "
                + ending.get(0).id()
                + " is still "
                + ending.get(0).state().toLowerCase(java.util.Locale.ROOT)
                + " after "
                + ENDING_WAIT.toSeconds()
                + " s; submit again once `./memescope ingest status` says it is not running");
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StackException("interrupted while waiting for the ingest job to end");
      }
      ending = runs(ENDING);
    }
  }

  /** Submits the job unless it runs already. */
  public Submission ensureRunning(Path jobJar) {
    awaitEndingRuns();
    Optional<FlinkRestClient.Job> job = running();
    if (job.isPresent()) {
      record(job.get().id());
      return new Submission(job.get().id(), true, Optional.empty());
    }
    if (!Files.isRegularFile(jobJar)) {
      throw new StackException(
          "the ingest job jar " + jobJar + " is missing; build with ./memescope (it builds)");
    }
    String encoded = encodedSettings();
    Optional<Path> restored = newestCheckpointFolder();
    Optional<String> checkpoint = restored.map(StackLayout::flinkPath);
    String jarId = rest.uploadJar(jobJar);
    try {
      String id =
          rest.runJar(
              jarId, ENTRY_CLASS, List.of("--config-base64", encoded), checkpoint.orElse(null));
      record(id);
      restored.ifPresent(chk -> pruneRunsOtherThan(chk, id));
      return new Submission(id, false, checkpoint);
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
    return jobJar(Runtimes.root().resolve("flink-jobs/target"));
  }

  /**
   * The newest {@code *-job.jar} in {@code target}: after a version change without a clean, the old
   * version's jar is still there, and the first the listing gave could be it (until 2026-12-07).
   */
  public static Path jobJar(Path target) {
    try (java.util.stream.Stream<Path> files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith("-job.jar"))
          .max(Comparator.comparing(IngestJobs::modifiedTime))
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
  public List<String> cancel() {
    List<FlinkRestClient.Job> jobs = runs(ACTIVE); // every one: two runs must not both go on
    FlinkRestClient.FlinkRestException failed = null;
    for (FlinkRestClient.Job job : jobs) {
      try {
        rest.cancel(job.id());
      } catch (FlinkRestClient.FlinkRestException e) {
        // A run that ended between the listing and its cancel is as good as cancelled.
        boolean ended =
            rest.jobs().stream()
                .noneMatch(j -> j.id().equals(job.id()) && ACTIVE.contains(j.state()));
        if (!ended) {
          if (failed == null) {
            failed = e;
          } else {
            failed.addSuppressed(e);
          }
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
    return jobs.stream().map(FlinkRestClient.Job::id).toList();
  }

  /**
   * Where the ids of the job's runs are kept, per job name, one a line, oldest first. Not only the
   * last: a run that ended before its first checkpoint (cancelled within seconds of its start, or
   * failing in {@code open()}) has nothing of its own to resume from, and its predecessor's
   * checkpoint, which it restored, still holds the state. Runs before the one restored from are
   * forgotten, and their folders deleted, at each submission ({@link #pruneRunsOtherThan}).
   */
  private Path runsFile() {
    return jobManagerData().resolve("ingest-" + config.ingest().jobName() + ".runs");
  }

  /** The single id written until 2026-12-06, read so that an older home resumes too. */
  private Path legacyLastJobFile() {
    return jobManagerData().resolve("ingest-" + config.ingest().jobName() + ".last-job");
  }

  private Path jobManagerData() {
    return new StackLayout(config.home()).dataDir("flink-jobmanager");
  }

  /** Adds {@code id} to the job's runs unless it is there. */
  private void record(String id) {
    try {
      if (runs().contains(id)) {
        return;
      }
      Files.createDirectories(runsFile().getParent());
      Files.writeString(
          runsFile(),
          id + "\n",
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private List<String> runs() throws IOException {
    List<String> ids = new java.util.ArrayList<>();
    for (Path file : List.of(legacyLastJobFile(), runsFile())) {
      if (Files.isRegularFile(file)) {
        Files.readAllLines(file).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty())
            .forEach(ids::add);
      }
    }
    return ids;
  }

  /**
   * The newest completed checkpoint retained by any of the job's runs, as Flink names it ({@link
   * StackLayout#flinkPath}: a {@code %20} would name another folder).
   */
  Optional<String> newestCheckpoint() {
    return newestCheckpointFolder().map(StackLayout::flinkPath);
  }

  /**
   * Deletes the checkpoint folders of the job's runs other than the one {@code restored} belongs to
   * and the one just {@code started}, and forgets them. A run resumed from another's checkpoint
   * takes its first checkpoint whole (Flink's default claim mode, NO_CLAIM: it shares no file with
   * the checkpoint it restored), so nothing of the earlier runs is read again. Until 2026-12-07
   * every {@code down} and {@code up}, and every {@code ingest cancel}, left a full copy of the
   * state behind for good. The run restored from is kept until a later submission restores from a
   * newer one: the new run may end before a checkpoint of its own.
   */
  private void pruneRunsOtherThan(Path restored, String started) {
    String kept = restored.getParent().getFileName().toString();
    try {
      for (String id : runs()) {
        if (id.equals(kept) || id.equals(started) || !id.matches("[0-9a-f]{32}")) {
          continue;
        }
        for (Path root : checkpointRoots()) {
          io.memescope.infra.stack.StagedClasspath.deleteTree(root.resolve(id));
        }
      }
      // Whole or not at all: a list cut short by a crash would name no run, and the next
      // submission would start without the state it has to resume.
      Path tmp = runsFile().resolveSibling(runsFile().getFileName() + ".tmp");
      Files.writeString(tmp, kept + "\n" + started + "\n", StandardCharsets.UTF_8);
      Files.move(
          tmp,
          runsFile(),
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.deleteIfExists(legacyLastJobFile());
    } catch (IOException | java.io.UncheckedIOException e) {
      // Disk space only: the next submission tries again.
      System.err.println("memescope: could not delete old ingest checkpoints: " + e);
    }
  }

  /** Where the runs' checkpoint folders are (see {@link #newestCheckpointFolder}). */
  private List<Path> checkpointRoots() {
    Path checkpoints = jobManagerData().resolve("checkpoints").toAbsolutePath();
    // Where Flink put them until 2026-12-06 in a home whose path has a space or an accent: the
    // folder's URI text, %20 and all (the configuration named it by URI, which Flink does not
    // decode). Looked in too, so that the first start after the upgrade still resumes.
    Path escaped = Path.of(checkpoints.toUri().getRawPath());
    return escaped.equals(checkpoints) ? List.of(checkpoints) : List.of(checkpoints, escaped);
  }

  /** The newest completed checkpoint folder of any of the job's runs. */
  private Optional<Path> newestCheckpointFolder() {
    List<String> ids;
    try {
      ids = runs();
    } catch (IOException e) {
      return Optional.empty();
    }
    List<Path> roots = checkpointRoots();
    return ids.stream()
        .filter(id -> id.matches("[0-9a-f]{32}")) // a job id, never a path
        .flatMap(id -> roots.stream().map(root -> root.resolve(id)))
        .filter(Files::isDirectory)
        .flatMap(IngestJobs::completed)
        .max(Comparator.comparing(run -> modifiedTime(run.resolve("_metadata"))));
  }

  /** The run's checkpoint folders that hold a {@code _metadata} file (completed ones). */
  private static Stream<Path> completed(Path run) {
    try (Stream<Path> files =
        Files.find(run, 2, (p, a) -> p.getFileName().toString().equals("_metadata"))) {
      return files.map(Path::getParent).toList().stream();
    } catch (IOException e) {
      return Stream.empty();
    }
  }

  private static java.nio.file.attribute.FileTime modifiedTime(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return java.nio.file.attribute.FileTime.fromMillis(0);
    }
  }
}
