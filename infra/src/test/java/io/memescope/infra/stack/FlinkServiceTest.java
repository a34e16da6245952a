package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkServiceTest {
  @TempDir Path tmp;

  @Test
  void a_staged_jar_that_is_missing_or_differs_from_the_build_is_named() throws Exception {
    Path target = Files.createDirectories(tmp.resolve("target"));
    Path lib = Files.createDirectories(tmp.resolve("lib"));
    Path same = Files.write(target.resolve("same.jar"), new byte[] {1, 2, 3});
    Path changed = Files.write(target.resolve("changed.jar"), new byte[] {1, 2, 3});
    Path fresh = Files.write(target.resolve("fresh.jar"), new byte[] {4});
    Files.write(lib.resolve("same.jar"), new byte[] {1, 2, 3});
    Files.write(lib.resolve("changed.jar"), new byte[] {1, 2, 4});

    assertThat(FlinkService.differing(lib, List.of(same, changed, fresh)))
        .containsExactly("changed.jar", "fresh.jar");
    assertThat(FlinkService.differing(lib, List.of(same))).isEmpty();
  }
}
