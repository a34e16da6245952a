package io.memescope.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.quality.QualitySpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerSettingsTest {

  @Test
  void defaultsDescribeAFiveMemberEnsemble() {
    TrainerSettings t = MemescopeConfig.defaults().trainer();
    assertThat(t.members()).isEqualTo(5);
    assertThat(t.hidden()).containsExactly(256, 64);
    assertThat(t.activeStrategy()).isEqualTo("design");
    QualitySpec spec = t.spec(List.of("usefulness", "memeness"), 512);
    assertThat(spec.outputs()).isEqualTo(2);
    assertThat(spec.embeddingDim()).isEqualTo(512);
  }

  @Test
  void badValuesAreReportedByKey() {
    assertThatThrownBy(
            () ->
                new ConfigLoader()
                    .optOverride("trainer.active.strategy", "greedy")
                    .optOverride("trainer.validation-fraction", "1.5")
                    .optOverride("trainer.hidden", "[64, 0]")
                    .load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("trainer.active.strategy")
        .hasMessageContaining("trainer.validation-fraction")
        .hasMessageContaining("trainer.hidden");
  }

  @Test
  void aValidationShareAboveOneHalfIsRefusedNotCappedSilently() {
    assertThatThrownBy(
            () -> new ConfigLoader().optOverride("trainer.validation-fraction", "0.6").load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("trainer.validation-fraction");
    assertThat(
            new ConfigLoader()
                .optOverride("trainer.validation-fraction", "0.5")
                .load()
                .trainer()
                .validationFraction())
        .isEqualTo(0.5);
  }

  @Test
  void aBatchLargerThanTheCandidatesItIsChosenFromIsRefused() {
    assertThatThrownBy(
            () ->
                new ConfigLoader()
                    .optOverride("trainer.active.candidates", "100")
                    .optOverride("trainer.active.batch-size", "200")
                    .load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("trainer.active.batch-size")
        .hasMessageContaining("must be at most trainer.active.candidates (100)");
  }

  @Test
  void aDisagreementStrategyNeedsMoreThanOneMember() {
    for (String strategy : List.of("disagreement", "information")) {
      assertThatThrownBy(
              () ->
                  new ConfigLoader()
                      .optOverride("trainer.members", "1")
                      .optOverride("trainer.active.strategy", strategy)
                      .load())
          .isInstanceOf(InvalidConfigException.class)
          .hasMessageContaining("trainer.active.strategy")
          .hasMessageContaining("trainer.members is 1");
    }
    TrainerSettings single =
        new ConfigLoader()
            .optOverride("trainer.members", "1")
            .optOverride("trainer.active.strategy", "uncertainty")
            .load()
            .trainer();
    assertThat(single.members()).isEqualTo(1);
  }
}
