package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkServiceTest {
  @TempDir Path tmp;

  @Test
  void the_checkpoint_folders_are_named_as_flink_reads_them_whatever_the_home_is_called()
      throws Exception {
    // Flink takes a file: URI's text as it is: file:///my%20memes wrote checkpoints under a
    // folder literally named my%20memes, where no restore looked.
    Path home = tmp.resolve("my memes é \"quoted\"");
    var config =
        new io.memescope.core.config.ConfigLoader().optOverride("home", home.toString()).load();
    StackLayout layout = new StackLayout(config.home());
    String yaml = FlinkService.jobManager(config, layout).yaml();
    var parsed =
        new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readTree(yaml);
    Path data = layout.dataDir("flink-jobmanager");
    // Flink's Path keeps the text after file:// as it is (checked against flink-core 2.2.1).
    assertThat(parsed.path("execution.checkpointing.dir").asText())
        .isEqualTo("file://" + data.resolve("checkpoints").toAbsolutePath());
    assertThat(parsed.path("execution.checkpointing.savepoint-dir").asText())
        .isEqualTo("file://" + data.resolve("savepoints").toAbsolutePath());
    assertThat(parsed.path("io.tmp.dirs").asText())
        .isEqualTo(data.resolve("tmp").toAbsolutePath().toString());
  }
}
