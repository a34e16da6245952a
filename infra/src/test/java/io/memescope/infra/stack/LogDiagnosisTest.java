package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogDiagnosisTest {
  @TempDir Path dir;

  @Test
  void picks_the_last_error_of_the_latest_run() throws IOException {
    Path log = dir.resolve("kafka.log");
    Files.writeString(
        log,
        """
        ---- memescope: starting kafka at 1
        ERROR old failure
        ---- memescope: starting kafka at 2
        INFO starting
        ERROR Exiting Kafka due to fatal exception
        java.lang.RuntimeException: wrapper
            at kafka.Kafka.main(Kafka.scala:1)
        Caused by: java.io.IOException: Invalid cluster.id in meta.properties
            at x.y(Z.java:1)
        INFO shutting down
        """);

    assertThat(LogDiagnosis.lastError(log))
        .isEqualTo("Caused by: java.io.IOException: Invalid cluster.id in meta.properties");
  }

  @Test
  void falls_back_to_the_last_line() throws IOException {
    Path log = dir.resolve("x.log");
    Files.writeString(log, "---- memescope: starting x at 1\nbye\n");
    assertThat(LogDiagnosis.lastError(log)).isEqualTo("bye");
  }

  @Test
  void no_log_says_so() {
    assertThat(LogDiagnosis.lastError(dir.resolve("none.log"))).isEqualTo("no log");
  }
}
