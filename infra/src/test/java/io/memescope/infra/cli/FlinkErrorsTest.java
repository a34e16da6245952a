package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.quality.ModelVersion;
import io.memescope.core.quality.QualityRegistry;
import io.memescope.infra.testing.Console.Outcome;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a person reads when Flink is down or refuses a request: one line, never a stack trace. */
class FlinkErrorsTest {
  @TempDir Path home;

  @Test
  void ingest_commands_on_a_stopped_stack_say_flink_is_not_answering() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // closed again: nothing listens there
    }
    for (String command : List.of("status", "cancel")) {
      Outcome outcome = Cli.run(home, "--set", "flink.rest-port=" + port, "ingest", command);
      assertThat(outcome.code()).isEqualTo(1);
      assertThat(outcome.err())
          .startsWith("memescope: GET http://")
          .contains("Flink is not answering; start the stack with `./memescope up`")
          .doesNotContain("\tat ")
          .hasLineCount(1);
    }
  }

  @Test
  void ingest_submit_and_cancel_take_the_stacks_lock_as_up_does() {
    var config =
        new io.memescope.core.config.ConfigLoader().optOverride("home", home.toString()).load();
    try (var held = new io.memescope.infra.stack.LocalStack(config).hold()) {
      for (String command : List.of("submit", "cancel")) {
        Outcome outcome = Cli.run(home, "ingest", command);
        assertThat(outcome.code()).isEqualTo(1);
        assertThat(outcome.err()).startsWith("memescope: another memescope command");
      }
    }
  }

  @Test
  void a_refused_submission_names_the_innermost_cause_of_flinks_error() {
    // Shortened from the answer Flink 2.2 gave when its checkpoint folder had no scheme: the
    // cause that says what to do is the last of some twenty "Caused by" lines.
    String body =
        "{\"errors\":[\"org.apache.flink.runtime.rest.handler.RestHandlerException: Could not"
            + " execute application.\\n\\tat org.apache.flink.runtime.webmonitor.handlers"
            + ".JarRunHandler.lambda$handleRequest$1(JarRunHandler.java:114)\\nCaused by:"
            + " org.apache.flink.util.FlinkRuntimeException: Could not execute application.\\n"
            + "\\tat org.apache.flink.client.deployment.application.DetachedApplicationRunner"
            + ".tryExecuteJobs(DetachedApplicationRunner.java:88)\\nCaused by:"
            + " java.lang.IllegalArgumentException: The scheme (hdfs://, file://, etc) is null."
            + " Please specify the file system scheme explicitly in the URI.\\n\\tat"
            + " org.apache.flink.runtime.state.storage.ExternalizedSnapshotLocation"
            + ".validatePath(ExternalizedSnapshotLocation.java:120)\\n\"]}";
    assertThat(brief(400, "POST http://127.0.0.1:8081/jars/x.jar/run", body))
        .isEqualTo(
            "POST http://127.0.0.1:8081/jars/x.jar/run answered 400: java.lang"
                + ".IllegalArgumentException: The scheme (hdfs://, file://, etc) is null. Please"
                + " specify the file system scheme explicitly in the URI.");
    assertThat(brief(404, "GET http://h/jobs/x", "{\"errors\":[\"Job x not found\"]}"))
        .isEqualTo("GET http://h/jobs/x answered 404: Job x not found");
    // An unexpected failure: a generic first error, and the trace in the second.
    assertThat(
            brief(
                500,
                "POST http://h/jars/x.jar/run",
                "{\"errors\":[\"Internal server error.\",\"<Exception on server side:\\n"
                    + "org.apache.flink.util.FlinkException: x\\n\\tat a.b(C.java:1)\\n"
                    + "Caused by: java.io.IOException: disk full\\n\\tat d.e(F.java:2)\\n"
                    + "End of exception on server side>\"]}"))
        .isEqualTo("POST http://h/jars/x.jar/run answered 500: java.io.IOException: disk full");
  }

  private static String brief(int status, String request, String body) {
    return io.memescope.infra.flink.FlinkRestClient.errorFor(request, status, body).brief();
  }

  @Test
  void ingest_status_names_the_version_announced_and_a_newer_one_that_was_not() {
    Instant t = Instant.parse("2026-12-06T07:00:00Z");
    ModelVersion live = new ModelVersion(1, "q-1", t, List.of("funny"), 5, 100, Map.of(), null);
    assertThat(
            IngestCommand.Status.modelLine(
                Optional.of(live), Optional.of(new QualityRegistry.Published("q-1", t))))
        .isEqualTo("q-1 (announced, stamped 2026-12-06T07:00:00Z)");
    assertThat(
            IngestCommand.Status.modelLine(
                Optional.of(live), Optional.of(new QualityRegistry.Published("q-2", t))))
        .isEqualTo(
            "q-1 (announced, stamped 2026-12-06T07:00:00Z); the newest registered version, q-2,"
                + " was not announced (announce it: `./memescope train publish q-2`)");
    assertThat(IngestCommand.Status.modelLine(Optional.empty(), Optional.empty()))
        .isEqualTo("none announced yet (`./memescope train run --publish`)");
  }
}
