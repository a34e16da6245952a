package io.memescope.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RaterSettingsTest {
  @Test
  void an_admin_password_too_short_for_an_account_is_refused_at_load_not_after_start() {
    // Until 2026-12-07 a short one only failed the first admin's creation, in a logged warning:
    // the rater app started with no one able to sign in.
    assertThatThrownBy(() -> new ConfigLoader().optOverride("rater.admin-password", "short").load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("rater.admin-password")
        .hasMessageContaining("at least 10")
        .hasMessageContaining("it has 5");
    assertThatThrownBy(
            () ->
                new ConfigLoader()
                    .optOverride("rater.admin-password", "x".repeat(RaterSettings.MAX_PASSWORD + 1))
                    .load())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("at most 1024");
    assertThat(
            new ConfigLoader()
                .optOverride("rater.admin-password", "ten chars!")
                .load()
                .rater()
                .adminPassword())
        .isEqualTo("ten chars!");
    assertThat(MemescopeConfig.defaults().rater().adminPassword()).isEmpty();
  }
}
