package io.memescope.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FlinkSettingsTest {

  @Test
  void aTaskManagerHasNativeMemoryForImagesBesidesItsHeap() {
    FlinkSettings f = MemescopeConfig.defaults().flink();
    assertThat(f.taskManagerNativeImageMegabytes()).isEqualTo(512);
    assertThat(f.taskManagerMemoryMegabytes()).isEqualTo(2048);
  }

  /** The native budget comes out of the process's memory: what is left must still run Flink. */
  @Test
  void aNativeBudgetThatLeavesTooLittleForTheRestIsRefusedByKey() {
    assertThatThrownBy(
            () ->
                new ConfigLoader()
                    .optOverride("flink.taskmanager.native-image-memory", "1500m")
                    .load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(
            "flink.taskmanager.process-memory is 2048m, must be at least 1024m more than"
                + " flink.taskmanager.native-image-memory (1500m)");
    assertThat(
            new ConfigLoader()
                .optOverride("flink.taskmanager.native-image-memory", "1024m")
                .load()
                .flink()
                .taskManagerNativeImageMegabytes())
        .isEqualTo(1024);
  }
}
