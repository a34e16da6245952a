package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CassandraServiceTest {
  @TempDir Path home;

  @Test
  void the_commit_log_syncs_before_acknowledging_and_a_node_started_otherwise_is_outdated()
      throws Exception {
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    CassandraService cassandra = new CassandraService(config, new StackLayout(config.home()));
    Files.createDirectories(cassandra.confDir());

    assertThat(cassandra.outdated("")).isEmpty(); // never started: nothing to say
    cassandra.prepare((service, message) -> {});
    String yaml = Files.readString(cassandra.confDir().resolve("cassandra.yaml"));
    // Cassandra refuses a sync period alongside batch mode.
    assertThat(yaml).contains("commitlog_sync: batch\n").doesNotContain("commitlog_sync_period");
    assertThat(cassandra.outdated("")).isEmpty();

    // What earlier builds wrote.
    Files.writeString(
        cassandra.confDir().resolve("cassandra.yaml"),
        yaml.replace(
            "commitlog_sync: batch\n",
            "commitlog_sync: periodic\ncommitlog_sync_period: 10000ms\n"));
    assertThat(cassandra.outdated(""))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("commitlog_sync: batch")
                    .contains("./memescope down cassandra && ./memescope up"));
  }
}
