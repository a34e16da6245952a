package io.memescope.core.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RobotsTagTest {
  private static final Set<String> REFUSED = FetchSettings.DEFAULT_REFUSED_ROBOTS_DIRECTIVES;

  private static String refused(String... headers) {
    return RobotsTag.refused(List.of(headers), "memescope", REFUSED).orElse(null);
  }

  @Test
  void directives_for_every_crawler_count_in_any_case_and_spacing() {
    assertThat(refused("noindex")).isEqualTo("noindex");
    assertThat(refused("  NoArchive ,  NOIMAGEINDEX ")).isEqualTo("noimageindex");
    assertThat(refused("none")).as("none means noindex, nofollow").isEqualTo("none");
    assertThat(refused("noarchive", "noai")).as("any of several headers").isEqualTo("noai");
    assertThat(refused("nofollow, noarchive, nosnippet")).isNull();
    assertThat(refused()).isNull();
    assertThat(refused("")).isNull();
  }

  @Test
  void a_crawler_prefix_limits_the_directives_to_that_crawler() {
    assertThat(refused("googlebot: noindex")).isNull();
    assertThat(refused("memescope: noimageai")).isEqualTo("noimageai");
    assertThat(refused("MemeScope:noindex,nofollow")).isEqualTo("noindex");
    assertThat(refused("googlebot: noindex", "memescope: nofollow")).isNull();
  }

  @Test
  void directives_with_a_value_are_not_taken_for_a_crawler() {
    assertThat(refused("unavailable_after: 25 Jun 2010 15:00:00 PST")).isNull();
    assertThat(refused("max-image-preview: large, noindex")).isEqualTo("noindex");
    assertThat(refused("noindex, unavailable_after: 25 Jun 2010 15:00:00 PST"))
        .isEqualTo("noindex");
  }

  @Test
  void nothing_is_refused_without_refused_directives() {
    assertThat(RobotsTag.refused(List.of("noindex"), "memescope", Set.of())).isEmpty();
  }

  @Test
  void the_crawler_is_the_user_agents_first_product_token() {
    assertThat(RobotsTag.crawler(FetchSettings.DEFAULT_USER_AGENT)).isEqualTo("memescope");
    assertThat(RobotsTag.crawler("MyBot")).isEqualTo("mybot");
    assertThat(RobotsTag.crawler("My Bot/2")).isEqualTo("my");
  }
}
