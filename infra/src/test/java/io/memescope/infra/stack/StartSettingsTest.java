package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.infra.testing.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `up` tells a running service started with other settings from one it can reuse as it is. */
class StartSettingsTest {
  @TempDir Path home;

  private LocalStack stack(Map<String, String> overrides) {
    Map<String, String> all = new HashMap<>(overrides);
    all.put("home", home.toString());
    // The test stack starts no applications; these tests start nothing at all.
    all.putAll(
        Map.of("serving.enabled", "true", "rater.enabled", "true", "crawler.enabled", "true"));
    return new LocalStack(TestStack.load(all));
  }

  private static Service started(LocalStack stack, String name) throws Exception {
    Service service = stack.service(name);
    Files.createDirectories(service.dataDir());
    service.recordStartSettings();
    return service;
  }

  @Test
  void settings_that_may_hold_a_key_are_written_for_their_owner_only() throws Exception {
    // A key set in the environment (MEMESCOPE_SERVING_ADMIN_KEY, as the README says) went into
    // the serving process's settings and its start record, readable by everyone, until
    // 2026-12-07.
    LocalStack stack = stack(Map.of("serving.admin-key", "s3cret-key-of-the-admin-0123456789"));
    Service serving = started(stack, "serving");
    Files.createDirectories(serving.confDir());
    serving.prepare(ProgressListener.SILENT);
    for (Path file :
        List.of(
            serving.dataDir().resolve("started-with.conf"),
            serving.confDir().resolve("memescope.conf"))) {
      assertThat(Files.readString(file)).as(file.toString()).contains("s3cret-key-of-the-admin");
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(file)))
          .as(file.toString())
          .isEqualTo("rw-------");
    }
  }

  @Test
  void each_changed_setting_of_a_running_service_is_named_with_its_old_and_new_value()
      throws Exception {
    LocalStack before = stack(Map.of("kafka.heap", "512m", "serving.rate-limit", "50"));
    assertThat(started(before, "kafka").otherSettings()).isEmpty();
    assertThat(started(before, "serving").otherSettings()).isEmpty();

    LocalStack after =
        stack(Map.of("kafka.heap", "1g", "serving.rate-limit", "7", "trainer.members", "3"));
    assertThat(after.service("kafka").otherSettings())
        .hasValue(
            "was started with other settings (kafka.heap 512m, now 1g); restart it to apply"
                + " them: ./memescope down kafka && ./memescope up");
    assertThat(after.service("serving").otherSettings())
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("(serving.rate-limit 50, now 7)")
                    .as("serving does not read the trainer's settings")
                    .doesNotContain("trainer"));
    // Settings the service is not started from change nothing for it.
    assertThat(
            stack(Map.of("kafka.heap", "512m", "serving.rate-limit", "7"))
                .service("kafka")
                .otherSettings())
        .isEmpty();
  }

  @Test
  void the_same_settings_written_otherwise_are_the_same_and_a_secret_is_not_shown()
      throws Exception {
    // Fields of a source in another order than the recorded file (which sorts them), and a port
    // given as text: no change. A new admin key: named, its values not shown.
    String sources =
        "[{location = \"https://x.example/\", type = html, id = site, depth = 2},"
            + " {type = feed, location = \"https://y.example/rss\", id = feed}]";
    Map<String, String> settings =
        Map.of("crawler.sources", sources, "kafka.port", "29092", "serving.admin-key", "old-key");
    LocalStack before = stack(settings);
    started(before, "crawler");
    started(before, "serving");

    LocalStack same = stack(settings);
    assertThat(same.service("crawler").otherSettings()).isEmpty();
    assertThat(same.service("serving").otherSettings()).isEmpty();

    // However a map iterates its fields (typesafe's objects are HashMaps: fields in one bucket
    // come in the order written), they compare in name order.
    Map<String, Object> ab = new java.util.LinkedHashMap<>();
    ab.put("a", 1);
    ab.put("b", List.of("x", Map.of("c", 2)));
    Map<String, Object> ba = new java.util.LinkedHashMap<>();
    ba.put("b", List.of("x", Map.of("c", "2")));
    ba.put("a", "1");
    assertThat(Service.canonical(List.of(ba))).isEqualTo(Service.canonical(List.of(ab)));

    Map<String, String> newKey = new HashMap<>(settings);
    newKey.put("serving.admin-key", "new-key");
    assertThat(stack(newKey).service("serving").otherSettings())
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("(serving.admin-key changed)")
                    .doesNotContain("old-key")
                    .doesNotContain("new-key"));
  }

  @Test
  void a_process_started_without_a_record_or_with_a_broken_one_is_not_called_outdated()
      throws Exception {
    LocalStack stack = stack(Map.of());
    Service milvus = stack.service("milvus");
    assertThat(milvus.otherSettings()).as("started by an older build").isEmpty();
    started(stack, "milvus");
    Files.writeString(milvus.dataDir().resolve("started-with.conf"), "{ not: [ closed");
    assertThat(milvus.otherSettings()).isEmpty();
  }

  @Test
  void every_service_names_settings_that_exist() {
    LocalStack stack = stack(Map.of());
    var all = Runtimes.settingsForProcesses(TestStack.load(Map.of("home", home.toString())));
    for (Service service : stack.services()) {
      assertThat(service.startSettings()).as(service.name()).isNotEmpty();
      for (String path : service.startSettings()) {
        assertThat(all.hasPath(path)).as(service.name() + ": " + path).isTrue();
      }
    }
  }
}
