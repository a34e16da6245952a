package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.infra.testing.Console.Outcome;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code memescope embed}: input it cannot embed is refused before any model is loaded. */
class EmbedCommandTest {
  @TempDir Path home;

  @Test
  void a_blank_text_is_refused_as_the_search_api_refuses_it() {
    // The model directory does not exist: the refusal must come before loading it.
    Path noModel = home.resolve("no-model");
    for (String blank : new String[] {"", "   "}) {
      assertThat(run("embed", "--model", noModel.toString(), "--text", "cat", "--text", blank))
          .isEqualTo(new Outcome(1, "", "memescope: embed: --text must not be blank\n"));
    }
  }

  @Test
  void nothing_to_embed_and_a_missing_image_are_refused() {
    Path noModel = home.resolve("no-model");
    assertThat(run("embed", "--model", noModel.toString()))
        .isEqualTo(new Outcome(1, "", "memescope: embed: give at least one --text or --image\n"));
    Path missing = home.resolve("missing.jpg");
    assertThat(run("embed", "--model", noModel.toString(), "--image", missing.toString()))
        .isEqualTo(new Outcome(1, "", "memescope: embed: no such file " + missing + "\n"));
  }

  private Outcome run(String... args) {
    return Cli.run(home, args);
  }
}
