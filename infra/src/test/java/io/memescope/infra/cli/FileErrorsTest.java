package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.infra.stack.IoErrors;
import io.memescope.infra.testing.Console.Outcome;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A home the stack cannot write gives one line with the reason, not a stack trace. */
class FileErrorsTest {
  @TempDir Path home;

  @Test
  void a_run_folder_that_is_a_file_is_named_with_its_reason() throws Exception {
    // (A home once used with sudo gives "permission denied" the same way; as root, the tests
    // cannot make a folder unwritable, so a file stands where the folder belongs.)
    Files.writeString(home.resolve("run"), "not a folder");
    Outcome down = Cli.run(home, "down");
    assertThat(down.code()).isEqualTo(1);
    assertThat(down.err())
        .startsWith("memescope: cannot create " + home.resolve("run"))
        .contains("exists already")
        .doesNotContain("\tat ")
        .doesNotContain("Exception");
  }

  @Test
  void a_permission_error_says_permission_denied() {
    assertThat(
            IoErrors.describe(
                new UncheckedIOException(
                    "cannot create /srv/memescope/run",
                    new AccessDeniedException("/srv/memescope/run"))))
        .isEqualTo("cannot create /srv/memescope/run: /srv/memescope/run: permission denied");
    assertThat(IoErrors.describe(new AccessDeniedException("/x/kafka/server.properties")))
        .isEqualTo("/x/kafka/server.properties: permission denied");
  }
}
