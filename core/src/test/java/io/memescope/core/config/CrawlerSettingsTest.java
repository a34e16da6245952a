package io.memescope.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrawlerSettingsTest {
  @TempDir Path dir;

  @Test
  void sources_are_read_with_defaults() throws Exception {
    Path file = dir.resolve("memescope.conf");
    Files.writeString(
        file,
        """
        crawler.sources = [
          { id = "reddit-memes", type = reddit, location = "https://www.reddit.com/r/memes/new.json" }
          { id = "nas", type = html, location = "http://nas.local/memes/", allow-private-hosts = ["nas.local"] }
        ]
        """);
    CrawlerSettings crawler = new ConfigLoader().optFile(file).load().crawler();

    assertThat(crawler.sources()).hasSize(2);
    assertThat(crawler.source("nas").allowPrivateHosts()).containsExactly("nas.local");
    assertThat(crawler.source("reddit-memes").allowNsfw()).isFalse();
    assertThat(crawler.maxResponseBytes()).isEqualTo(16L << 20);
    assertThatThrownBy(() -> crawler.source("nope")).hasMessageContaining("no source 'nope'");
  }

  @Test
  void bad_sources_name_the_entry_and_field() throws Exception {
    Path file = dir.resolve("memescope.conf");
    Files.writeString(
        file,
        """
        crawler.sources = [
          { id = "a", type = gopher, location = "x" }
          { id = "a", type = feed, locaton = "y" }
        ]
        """);
    assertThatThrownBy(() -> new ConfigLoader().optFile(file).load())
        .isInstanceOfSatisfying(
            InvalidConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        p -> assertThat(p).startsWith("crawler.sources[0].type is 'gopher'"))
                    .anySatisfy(
                        p -> assertThat(p).startsWith("crawler.sources[1].id 'a' is used twice"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("crawler.sources[1].locaton is not a source setting"))
                    .anySatisfy(
                        p -> assertThat(p).startsWith("crawler.sources[1].location is missing"))
                    // Each names the file and line it came from.
                    .contains(
                        "crawler.sources[0].type is 'gopher', must be one of "
                            + CrawlerSettings.TYPES
                            + " ("
                            + file.toAbsolutePath()
                            + ": 2)",
                        "crawler.sources[1].locaton is not a source setting ("
                            + file.toAbsolutePath()
                            + ": 3)",
                        "crawler.sources[1].location is missing ("
                            + file.toAbsolutePath()
                            + ": 3)"));
  }
}
