package io.memescope.rater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.RaterSettings;
import io.memescope.core.records.Json;
import io.memescope.infra.stack.LocalStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rater process as {@code ./memescope up} runs it: its own JVM and directory, the settings
 * file, and the first admin's generated password, with which the admin signs in.
 */
class RaterProcessIT {
  @Test
  void up_starts_the_app_with_a_first_admin_whose_generated_password_signs_in() throws Exception {
    MemescopeConfig config = RaterFixture.config(Map.of("rater.enabled", "true"));
    LocalStack stack = new LocalStack(config);
    Path file = RaterSettings.adminPasswordFile(config.home());
    Files.deleteIfExists(file);
    try {
      stack.up(List.of("rater"), (s, m) -> System.out.println("[rater-process] " + s + ": " + m));
      String password = Files.readString(file).strip();
      assertThat(password).hasSizeGreaterThanOrEqualTo(20);
      assertThat(Files.getPosixFilePermissions(file))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + config.rater().port();
      HttpResponse<String> login =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/api/login"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          Json.mapper()
                              .writeValueAsString(
                                  Map.of("username", "admin", "password", password))))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
      assertThat(Json.mapper().readTree(login.body()).path("role").asText()).isEqualTo("admin");
      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/login")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("/ui/");
    } finally {
      stack.down(List.of("rater"), (s, m) -> {});
    }
    assertThat(stack.status(stack.service("rater")).healthy()).isFalse();
  }

  /**
   * A first admin's password too short for an account, in the password file (edited by hand) or in
   * {@code rater.admin-password}, with no accounts yet: the app stops at start and says where the
   * password came from. Until 2026-12-07 it logged a warning as if Cassandra were away and started
   * with no admin, so no one could sign in.
   */
  @ParameterizedTest(name = "from {0}")
  @ValueSource(strings = {"file", "setting"})
  void a_password_too_short_for_an_account_stops_the_app_naming_its_source(String source)
      throws Exception {
    MemescopeConfig config =
        RaterFixture.config(
            source.equals("file")
                ? Map.of("rater.enabled", "true")
                : Map.of("rater.enabled", "true", "rater.admin-password", "short"));
    LocalStack stack = new LocalStack(config);
    Path file = RaterSettings.adminPasswordFile(config.home());
    Files.deleteIfExists(file);
    if (source.equals("file")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, "short\n");
    }
    try {
      assertThatThrownBy(() -> stack.up(List.of("rater"), (s, m) -> {}))
          .hasMessageContaining("rater exited during start-up")
          .hasMessageContaining(
              source.equals("file") ? "rater-admin-password" : "rater.admin-password")
          .hasMessageContaining("cannot be an account's");
    } finally {
      stack.down(List.of("rater"), (s, m) -> {});
      Files.deleteIfExists(file); // the next start generates one again
    }
    assertThat(stack.status(stack.service("rater")).healthy()).isFalse();
  }
}
