package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The staged copy of an application's build outputs, and telling when it is out of date. */
class ApplicationProcessTest {
  @TempDir Path dir;

  @Test
  void a_copied_folder_of_classes_matches_until_a_file_changes_appears_or_goes() throws Exception {
    Path built = dir.resolve("target/classes");
    Files.createDirectories(built.resolve("io/memescope"));
    Files.writeString(built.resolve("io/memescope/A.class"), "a");
    Files.writeString(built.resolve("app.js"), "js");
    Path copy = dir.resolve("lib/serving-classes");
    ApplicationProcess.copyTree(built, copy);
    assertThat(copy.resolve("io/memescope/A.class")).hasContent("a");
    assertThat(ApplicationProcess.differs(built, copy)).isFalse();

    Files.writeString(built.resolve("io/memescope/A.class"), "b");
    assertThat(ApplicationProcess.differs(built, copy)).as("changed").isTrue();
    ApplicationProcess.copyTree(built, copy);
    assertThat(ApplicationProcess.differs(built, copy)).isFalse();
    Files.writeString(built.resolve("io/memescope/B.class"), "b");
    assertThat(ApplicationProcess.differs(built, copy)).as("added").isTrue();
    Files.delete(built.resolve("io/memescope/B.class"));
    Files.delete(built.resolve("app.js"));
    assertThat(ApplicationProcess.differs(built, copy)).as("removed").isTrue();
    assertThat(ApplicationProcess.differs(built, dir.resolve("nothing"))).isTrue();
  }

  @Test
  void a_copied_jar_matches_until_it_changes() throws Exception {
    Path jar = Files.writeString(dir.resolve("core.jar"), "one");
    Path copy = dir.resolve("copy.jar");
    ApplicationProcess.copyTree(jar, copy);
    assertThat(ApplicationProcess.differs(jar, copy)).isFalse();
    Files.writeString(jar, "two");
    assertThat(ApplicationProcess.differs(jar, copy)).isTrue();
  }
}
