package io.memescope.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.embed.ImageDecodeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FetchSettingsTest {
  @Test
  void defaults_are_finite() {
    FetchSettings d = FetchSettings.defaults();
    assertThat(d.callTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.maxBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(d.allowedPrivateHosts()).isEmpty();
    assertThat(d.allowedFileRoots()).isEmpty();
    assertThat(d.userAgent()).startsWith("Memescope/");
  }

  @Test
  void hosts_are_lower_cased_and_roots_made_absolute() {
    FetchSettings s =
        FetchSettings.defaults()
            .withAllowedPrivateHosts(Set.of("NAS.Local"))
            .withAllowedFileRoots(List.of(Path.of("memes/../memes/x")));
    assertThat(s.allowedPrivateHosts()).containsExactly("nas.local");
    assertThat(s.allowedFileRoots()).containsExactly(Path.of("memes/x").toAbsolutePath());
  }

  @Test
  void each_with_changes_its_own_settings_and_keeps_the_rest() {
    FetchSettings d = FetchSettings.defaults();
    FetchSettings s =
        d.withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3))
            .withMaxBytes(1234)
            .withMaxRedirects(2)
            .withAllowedPrivateHosts(Set.of("nas"))
            .withAllowedFileRoots(List.of(Path.of("/memes")))
            .withUserAgent("Other/1")
            .withConcurrency(7, 3)
            .withRefusedRobotsDirectives(Set.of(" NoAI "));
    assertThat(s)
        .isEqualTo(
            new FetchSettings(
                Duration.ofSeconds(1),
                Duration.ofSeconds(2),
                Duration.ofSeconds(3),
                1234,
                2,
                Set.of("nas"),
                List.of(Path.of("/memes")),
                "Other/1",
                7,
                3,
                Set.of("noai")));
    assertThat(d.withMaxBytes(99).withMaxBytes(d.maxBytes())).isEqualTo(d);
    assertThat(d.refusedRobotsDirectives())
        .isEqualTo(FetchSettings.DEFAULT_REFUSED_ROBOTS_DIRECTIVES);
  }

  @Test
  void nonsense_is_refused() {
    FetchSettings d = FetchSettings.defaults();
    assertThatThrownBy(() -> d.withMaxBytes(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> d.withMaxBytes(Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> d.withMaxRedirects(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> d.withConcurrency(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> d.withTimeouts(Duration.ofSeconds(1), Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("readTimeout");
    assertThatThrownBy(() -> d.withUserAgent(" ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void reject_codes_are_stable_lower_case_names() {
    assertThat(RejectReason.TOO_LARGE.code()).isEqualTo("too_large");
    assertThat(RejectReason.BLOCKED_ADDRESS.code()).isEqualTo("blocked_address");
    assertThat(RejectReason.fromCode("redirect_loop")).contains(RejectReason.REDIRECT_LOOP);
    assertThat(RejectReason.fromCode("nonsense")).isEmpty();
    for (RejectReason reason : RejectReason.values()) {
      assertThat(reason.code()).matches("[a-z_]+");
      assertThat(RejectReason.fromCode(reason.code())).contains(reason);
    }
  }

  @Test
  void decoder_reasons_map_onto_reject_reasons() {
    assertThat(RejectReason.of(ImageDecodeException.Reason.TOO_MANY_PIXELS))
        .isEqualTo(RejectReason.BOMB);
    assertThat(RejectReason.of(ImageDecodeException.Reason.CORRUPT))
        .isEqualTo(RejectReason.DECODE_ERROR);
    for (ImageDecodeException.Reason reason : ImageDecodeException.Reason.values()) {
      assertThat(RejectReason.of(reason)).isNotNull();
    }
  }
}
