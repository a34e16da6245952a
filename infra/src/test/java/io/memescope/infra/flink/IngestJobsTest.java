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
                        .append("\",\"name\":\"memescope-ingest-rescore-")
                        .append(id)
                        .append("\",\"state\":\"RUNNING\"}"));
            send(e, 200, jobs.append("]}").toString());
            return;
          }
          String id = path.substring("/jobs/".length());
          if (e.getRequestMethod().equals("PATCH")) {
            cancels.add(id);
            // Finished meanwhile (its version superseded) or stuck: Flink refuses the cancel.
            send(e, 409, "{\"errors\":[\"Job " + id + " is not in a cancellable state\"]}");
          } else {
            send(e, 200, "{\"state\":\"" + states.get(id) + "\"}");
          }
        });
    flink.start();
    config =
        new ConfigLoader()
            .optOverride("flink.rest-port", String.valueOf(flink.getAddress().getPort()))
            .optOverride("ingest.job-name", "memescope-ingest")
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

  private static void send(HttpExchange e, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    e.sendResponseHeaders(status, bytes.length);
    e.getResponseBody().write(bytes);
    e.close();
  }
}
