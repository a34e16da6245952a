package io.memescope.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.records.Json;
import io.memescope.infra.stack.LocalStack;
import io.memescope.infra.testing.TestStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The serving process as {@code ./memescope up} runs it: its own JVM, in its own directory, with
 * the settings file and the generated admin key. The other tests start the server in their JVM,
 * which hides what only the process sees (relative paths once resolved from another directory).
 */
class ServingProcessIT {
  @Test
  void up_starts_the_server_with_a_generated_admin_key_and_down_stops_it() throws Exception {
    TestStack.config();
    // The model directory as the defaults give it, relative to the repository: the process runs
    // elsewhere, so it must receive it resolved.
    MemescopeConfig config =
        TestStack.load(Map.of("serving.enabled", "true", "model.dir", "models/tiny"));
    LocalStack stack = new LocalStack(config);
    Path key = config.home().resolve("conf/admin-key");
    Files.deleteIfExists(key);
    try {
      stack.up(
          List.of("serving"), (s, m) -> System.out.println("[serving-process] " + s + ": " + m));
      assertThat(Files.readString(key).strip()).matches("[0-9a-f]{48}");
      assertThat(Files.getPosixFilePermissions(key))
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + config.serving().port();
      HttpResponse<String> stats =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/stats")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(stats.statusCode()).isEqualTo(200);
      JsonNode models = Json.mapper().readTree(stats.body()).path("models");
      assertThat(models.path("embedding").path("testModel").asBoolean()).isTrue();
      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("/ui/app.js");
      // The process read the generated key: the right one passes the check (404: no such image).
      HttpResponse<String> delete =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/images/" + "0".repeat(32)))
                  .header("Authorization", "Bearer " + Files.readString(key).strip())
                  .DELETE()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(delete.statusCode()).as(delete.body()).isEqualTo(404);

      // It runs from a copy of the build outputs in its data directory, not from them: a rebuild
      // while the stack runs rewrites them under it. A copy that differs from the build is named.
      Path data = stack.service("serving").dataDir();
      String commandLine =
          ProcessHandle.of(stack.status(stack.service("serving")).pid())
              .orElseThrow()
              .info()
              .commandLine()
              .orElseThrow();
      assertThat(commandLine)
          .contains(data.resolve("lib/serving-classes").toString())
          .doesNotContain("serving/target/classes")
          .doesNotContain("core/target/memescope-core"); // in a reactor build, staged too
      assertThat(stack.outdated(List.of("serving"))).isEmpty();
      Files.writeString(data.resolve("lib/serving-classes/left-over.txt"), "x");
      assertThat(stack.outdated(List.of("serving")))
          .hasEntrySatisfying(
              "serving", why -> assertThat(why).contains("serving's classes", "./memescope down"));
    } finally {
      stack.down(List.of("serving"), (s, m) -> {});
    }
    assertThat(stack.status(stack.service("serving")).healthy()).isFalse();
  }
}
