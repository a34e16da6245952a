package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MilvusServiceTest {
  @TempDir Path home;

  @Test
  void milvus_lite_is_started_with_one_worker_and_a_running_one_without_it_is_outdated() {
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    MilvusService milvus = new MilvusService(config, new StackLayout(config.home()));

    String started = String.join(" ", milvus.command());
    assertThat(started).contains("milvus_lite server").endsWith("--max-workers 1");
    assertThat(milvus.outdated(started)).isEmpty();

    String before = started.replace(" --max-workers 1", "");
    assertThat(milvus.outdated(before))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("--max-workers 1")
                    .contains("./memescope down milvus && ./memescope up"));
  }
}
