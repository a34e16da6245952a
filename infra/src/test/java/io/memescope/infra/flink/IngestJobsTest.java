package io.memescope.infra.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cancelling re-scoring jobs, against a stand-in for the JobManager's REST API. */
class IngestJobsTest {
  HttpServer flink;
  MemescopeConfig config;
  final Map<String, String> states = new ConcurrentHashMap<>();
  final List<String> cancels = new CopyOnWriteArrayList<>();
  final List<String> runs = new CopyOnWriteArrayList<>();
  final List<String> nextJobs = new CopyOnWriteArrayList<>();

  /** Ingest runs by id (their state in {@link #states}); other ids are re-scoring jobs. */
  final Map<String, String> names = new ConcurrentHashMap<>();

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path home;

  @BeforeEach
  void start() throws IOException {
    flink = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    flink.createContext(
        "/jobs",
        e -> {
          String path = e.getRequestURI().getPath();
          if (path.equals("/jobs/overview")) {
            StringBuilder jobs = new StringBuilder("{\"jobs\":[");
            states.forEach(
                (id, state) ->
                    jobs.append(jobs.length() > 9 ? "," : "")
                        .append("{\"jid\":\"")
                        .append(id)
                        .append("\",\"name\":\"")
                        .append(names.getOrDefault(id, "memescope-ingest-rescore-" + id))
                        .append("\",\"state\":\"")
                        .append(names.containsKey(id) ? state : "RUNNING")
                        .append("\"}"));
            send(e, 200, jobs.append("]}").toString());
            return;
          }
          String id = path.substring("/jobs/".length());
          if (e.getRequestMethod().equals("PATCH") && names.containsKey(id)) {
            cancels.add(id);
            if (id.startsWith("ended")) { // finished between the listing and the cancel
              states.put(id, "FINISHED");
              send(e, 409, "{\"errors\":[\"Job " + id + " is not in a cancellable state\"]}");
              return;
            }
            states.put(id, "CANCELLING");
            send(e, 202, "{}");
          } else if (e.getRequestMethod().equals("PATCH")) {
            cancels.add(id);
            // Finished meanwhile (its version superseded) or stuck: Flink refuses the cancel.
            send(e, 409, "{\"errors\":[\"Job " + id + " is not in a cancellable state\"]}");
          } else {
            send(e, 200, "{\"state\":\"" + states.get(id) + "\"}");
          }
        });
    flink.createContext(
        "/jars",
        e -> {
          String path = e.getRequestURI().getPath();
          String body = new String(e.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          if (path.equals("/jars/upload")) {
            send(e, 200, "{\"filename\":\"/upload/x_job.jar\",\"status\":\"success\"}");
          } else if (path.endsWith("/run")) {
            runs.add(body);
            send(e, 200, "{\"jobid\":\"" + nextJobs.remove(0) + "\"}");
          } else {
            send(e, 200, "{}"); // DELETE of the uploaded jar
          }
        });
    flink.start();
    config =
        new ConfigLoader()
            .optOverride("flink.rest-port", String.valueOf(flink.getAddress().getPort()))
            .optOverride("ingest.job-name", "memescope-ingest")
            .optOverride("home", home.resolve("my memes é").toString())
            .load();
  }

  @AfterEach
  void stop() {
    flink.stop(0);
  }

  @Test
  void a_rescoring_job_that_finished_before_its_cancel_is_as_good_as_cancelled() {
    states.put("done", "FINISHED");
    assertThat(new IngestJobs(config).cancelRescores()).isEmpty();
    assertThat(cancels).containsExactly("done");

    states.put("stuck", "RUNNING"); // still running, and the cancel refused: an error
    assertThatThrownBy(() -> new IngestJobs(config).cancelRescores())
        .hasMessageContaining("answered 409");
  }

  @Test
  void without_the_job_jar_nothing_is_cancelled() {
    states.put("older", "RUNNING");
    assertThatThrownBy(
            () ->
                new IngestJobs(config)
                    .submitRescore(java.nio.file.Path.of("/nonexistent/job.jar"), "q-1"))
        .hasMessageContaining("the job jar /nonexistent/job.jar is missing");
    assertThat(cancels).as("the running re-scoring job keeps its work").isEmpty();
  }

  @Test
  void a_run_that_ended_before_its_first_checkpoint_does_not_lose_the_state_it_resumed()
      throws Exception {
    // Run A checkpointed; run B resumed from it and was cancelled (or failed in open()) before a
    // checkpoint of its own. Until 2026-12-06 only the last run's folder was looked in, so run C
    // started empty: the seen-URL filter and the de-duplication index were gone, silently.
    String a = "a".repeat(32);
    String b = "b".repeat(32);
    java.nio.file.Path jobManager =
        new io.memescope.infra.stack.StackLayout(config.home()).dataDir("flink-jobmanager");
    java.nio.file.Path checkpoints = jobManager.resolve("checkpoints");
    java.nio.file.Path older = checkpoints.resolve(a + "/chk-6");
    java.nio.file.Path newest = checkpoints.resolve(a + "/chk-7");
    for (java.nio.file.Path chk : List.of(older, newest)) {
      java.nio.file.Files.createDirectories(chk);
      java.nio.file.Files.write(chk.resolve("_metadata"), new byte[] {1});
    }
    java.nio.file.Files.setLastModifiedTime(
        older.resolve("_metadata"), java.nio.file.attribute.FileTime.fromMillis(1_000));
    java.nio.file.Files.createDirectories(checkpoints.resolve(b + "/shared"));
    java.nio.file.Files.createDirectories(checkpoints.resolve(b + "/chk-1")); // not completed
    // A home from before the list of runs: its one line names run A.
    java.nio.file.Files.writeString(jobManager.resolve("ingest-memescope-ingest.last-job"), a);
    java.nio.file.Path jar = java.nio.file.Files.write(home.resolve("job.jar"), new byte[] {1});

    nextJobs.addAll(List.of(b, "c".repeat(32)));
    IngestJobs jobs = new IngestJobs(config);
    assertThat(jobs.ensureRunning(jar).restoredFrom()).contains("file://" + newest);
    // Run B is gone without a checkpoint; the next submission still resumes run A's state.
    assertThat(jobs.ensureRunning(jar).restoredFrom()).contains("file://" + newest);
    assertThat(runs).hasSize(2).allSatisfy(r -> assertThat(r).contains(newest.toString()));
    // A plain path: Flink reads a file: URI's text as it is, so my%20memes would be another
    // folder.
    assertThat(newest.toString()).contains("my memes é");
  }

  @Test
  void a_submission_deletes_the_checkpoints_of_runs_before_the_one_it_resumes() throws Exception {
    // Each run resumed from another takes its first checkpoint whole: until 2026-12-07 every
    // down/up and every `ingest cancel` left a full copy of the state behind, for good.
    String a = "a".repeat(32);
    String b = "b".repeat(32);
    String c = "c".repeat(32);
    java.nio.file.Path jobManager =
        new io.memescope.infra.stack.StackLayout(config.home()).dataDir("flink-jobmanager");
    java.nio.file.Path checkpoints = jobManager.resolve("checkpoints");
    java.nio.file.Path ofA = completedCheckpoint(checkpoints.resolve(a + "/chk-7"), 1_000);
    java.nio.file.Files.createDirectories(checkpoints.resolve(b + "/chk-1")); // none completed
    java.nio.file.Files.writeString(
        jobManager.resolve("ingest-memescope-ingest.runs"), a + "\n" + b + "\n");
    java.nio.file.Path jar = java.nio.file.Files.write(home.resolve("job.jar"), new byte[] {1});
    nextJobs.addAll(List.of(c, "d".repeat(32)));
    IngestJobs jobs = new IngestJobs(config);

    assertThat(jobs.ensureRunning(jar).restoredFrom()).contains("file://" + ofA);
    assertThat(checkpoints.resolve(b)).as("a run with no checkpoint of its own").doesNotExist();
    assertThat(ofA).as("the run resumed from, until the new one has a checkpoint").exists();

    java.nio.file.Path ofC = completedCheckpoint(checkpoints.resolve(c + "/chk-2"), 2_000);
    assertThat(jobs.ensureRunning(jar).restoredFrom()).contains("file://" + ofC);
    assertThat(checkpoints.resolve(a)).doesNotExist();
    assertThat(ofC).exists();
    assertThat(java.nio.file.Files.readAllLines(jobManager.resolve("ingest-memescope-ingest.runs")))
        .containsExactly(c, "d".repeat(32));
  }

  private static java.nio.file.Path completedCheckpoint(java.nio.file.Path chk, long modifiedMillis)
      throws IOException {
    java.nio.file.Files.createDirectories(chk);
    java.nio.file.Files.write(chk.resolve("_metadata"), new byte[] {1});
    java.nio.file.Files.createDirectories(chk.resolveSibling("shared"));
    java.nio.file.Files.write(chk.resolveSibling("shared").resolve("sst-1"), new byte[] {2});
    java.nio.file.Files.setLastModifiedTime(
        chk.resolve("_metadata"), java.nio.file.attribute.FileTime.fromMillis(modifiedMillis));
    return chk;
  }

  @Test
  void the_newest_job_jar_is_submitted_when_an_older_version_is_left_beside_it() throws Exception {
    java.nio.file.Path target = java.nio.file.Files.createDirectories(home.resolve("target"));
    java.nio.file.Path old =
        java.nio.file.Files.write(target.resolve("a-0.1.0-job.jar"), new byte[] {1});
    java.nio.file.Path now =
        java.nio.file.Files.write(target.resolve("a-0.2.0-job.jar"), new byte[] {1});
    java.nio.file.Files.write(target.resolve("a-0.2.0.jar"), new byte[] {1});
    java.nio.file.Files.setLastModifiedTime(
        old, java.nio.file.attribute.FileTime.fromMillis(1_000));
    java.nio.file.Files.setLastModifiedTime(
        now, java.nio.file.attribute.FileTime.fromMillis(2_000));
    assertThat(IngestJobs.jobJar(target)).isEqualTo(now);
    java.nio.file.Files.setLastModifiedTime(
        old, java.nio.file.attribute.FileTime.fromMillis(3_000));
    assertThat(IngestJobs.jobJar(target)).isEqualTo(old);
  }

  @Test
  void a_submission_waits_for_a_run_that_is_ending_and_cancel_stops_every_run() throws Exception {
    java.nio.file.Path jar = java.nio.file.Files.write(home.resolve("job.jar"), new byte[] {1});
    // Two runs at once (two commands submitted together before the lock): both are cancelled.
    names.put("r1", "memescope-ingest");
    names.put("r2", "memescope-ingest");
    states.put("r1", "RUNNING");
    states.put("r2", "RESTARTING");
    names.put("ended", "memescope-ingest");
    states.put("ended", "RUNNING");
    IngestJobs jobs = new IngestJobs(config);
    assertThat(jobs.cancel()).containsExactlyInAnyOrder("r1", "r2", "ended");
    assertThat(states).containsEntry("r1", "CANCELLING").containsEntry("r2", "CANCELLING");

    // `ingest cancel && ingest submit`: the new run waits until the old ones have ended.
    java.util.concurrent.atomic.AtomicLong ended = new java.util.concurrent.atomic.AtomicLong();
    Thread ending =
        new Thread(
            () -> {
              try {
                Thread.sleep(1_500);
              } catch (InterruptedException e) {
                return;
              }
              ended.set(System.nanoTime());
              states.put("r1", "CANCELED");
              states.put("r2", "CANCELED");
            });
    ending.start();
    nextJobs.add("d".repeat(32));
    var submission = jobs.ensureRunning(jar);
    long submitted = System.nanoTime();
    ending.join();
    assertThat(submission.reused()).isFalse();
    assertThat(runs).hasSize(1);
    assertThat(ended.get())
        .as("the old runs had ended when the new one was submitted")
        .isPositive();
    assertThat(submitted).isGreaterThan(ended.get());
  }

  @Test
  void checkpoints_written_under_the_escaped_home_before_the_fix_are_still_resumed()
      throws Exception {
    // Until 2026-12-06 Flink wrote a home named "my memes é" as my%20memes%20%C3%A9.
    String run = "e".repeat(32);
    java.nio.file.Path jobManager =
        new io.memescope.infra.stack.StackLayout(config.home())
            .dataDir("flink-jobmanager")
            .toAbsolutePath();
    java.nio.file.Path escaped =
        java.nio.file.Path.of(jobManager.resolve("checkpoints").toUri().getRawPath());
    assertThat(escaped.toString()).contains("my%20memes%20%C3%A9");
    java.nio.file.Path chk = java.nio.file.Files.createDirectories(escaped.resolve(run + "/chk-3"));
    java.nio.file.Files.write(chk.resolve("_metadata"), new byte[] {1});
    java.nio.file.Files.createDirectories(jobManager);
    java.nio.file.Files.writeString(jobManager.resolve("ingest-memescope-ingest.last-job"), run);
    assertThat(new IngestJobs(config).newestCheckpoint()).contains("file://" + chk);
  }

  private static void send(HttpExchange e, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    e.sendResponseHeaders(status, bytes.length);
    e.getResponseBody().write(bytes);
    e.close();
  }
}
