package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process's copy of the build outputs, and telling when it is out of date. */
class StagedClasspathTest {
  @TempDir Path dir;

  @Test
  void a_copied_folder_of_classes_matches_until_a_file_changes_appears_or_goes() throws Exception {
    Path built = dir.resolve("target/classes");
    Files.createDirectories(built.resolve("io/memescope"));
    Files.writeString(built.resolve("io/memescope/A.class"), "a");
    Files.writeString(built.resolve("app.js"), "js");
    Path copy = dir.resolve("lib/serving-classes");
    StagedClasspath.copyTree(built, copy);
    assertThat(copy.resolve("io/memescope/A.class")).hasContent("a");
    assertThat(StagedClasspath.differs(built, copy)).isFalse();

    Files.writeString(built.resolve("io/memescope/A.class"), "b");
    assertThat(StagedClasspath.differs(built, copy)).as("changed").isTrue();
    StagedClasspath.copyTree(built, copy);
    assertThat(StagedClasspath.differs(built, copy)).isFalse();
    Files.writeString(built.resolve("io/memescope/B.class"), "b");
    assertThat(StagedClasspath.differs(built, copy)).as("added").isTrue();
    Files.delete(built.resolve("io/memescope/B.class"));
    Files.delete(built.resolve("app.js"));
    assertThat(StagedClasspath.differs(built, copy)).as("removed").isTrue();
    assertThat(StagedClasspath.differs(built, dir.resolve("nothing"))).isTrue();
  }

  @Test
  void a_copied_jar_matches_until_it_changes() throws Exception {
    Path jar = Files.writeString(dir.resolve("core.jar"), "one");
    Path copy = dir.resolve("copy.jar");
    StagedClasspath.copyTree(jar, copy);
    assertThat(StagedClasspath.differs(jar, copy)).isFalse();
    Files.writeString(jar, "two");
    assertThat(StagedClasspath.differs(jar, copy)).isTrue();
  }

  @Test
  void only_the_repositorys_build_outputs_are_copied_and_a_class_gone_from_the_build_goes()
      throws Exception {
    Path root = dir.resolve("repo");
    Path classes = Files.createDirectories(root.resolve("serving/target/classes/io"));
    Files.writeString(classes.resolve("A.class"), "a");
    Path core =
        Files.writeString(
            Files.createDirectories(root.resolve("core/target")).resolve("core.jar"), "core");
    Path dependency =
        Files.writeString(
            Files.createDirectories(dir.resolve("m2/org/x")).resolve("x.jar"), "dependency");
    Path lib = dir.resolve("home/data/serving/lib");
    List<Path> entries = List.of(classes.getParent(), core, dependency);

    String classpath = StagedClasspath.stage(root, lib, entries);
    assertThat(StagedClasspath.entries(classpath))
        .containsExactly(lib.resolve("serving-classes"), lib.resolve("core.jar"), dependency);
    assertThat(lib.resolve("serving-classes/io/A.class")).hasContent("a");
    assertThat(StagedClasspath.stale(root, lib, entries)).isEmpty();

    // A rebuild: A.class gone, B.class new, the jar changed. The copy still has what the process
    // was started with, and is named out of date until the next start stages it again.
    Files.delete(classes.resolve("A.class"));
    Files.writeString(classes.resolve("B.class"), "b");
    Files.writeString(core, "core 2");
    assertThat(lib.resolve("serving-classes/io/A.class")).hasContent("a");
    assertThat(StagedClasspath.stale(root, lib, entries))
        .containsExactly("serving's classes", "core.jar");

    StagedClasspath.stage(root, lib, entries);
    assertThat(lib.resolve("serving-classes/io/A.class")).doesNotExist();
    assertThat(lib.resolve("serving-classes/io/B.class")).hasContent("b");
    assertThat(lib.resolve("core.jar")).hasContent("core 2");
    assertThat(StagedClasspath.stale(root, lib, entries)).isEmpty();
  }

  @Test
  void a_checkout_reached_through_a_symbolic_link_is_staged_all_the_same() throws Exception {
    Path real = dir.resolve("real");
    Path jar =
        Files.writeString(
            Files.createDirectories(real.resolve("core/target")).resolve("core.jar"), "core");
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);
    Path lib = dir.resolve("lib");
    // The script's root goes through the link; Maven wrote the real path, or the other way.
    assertThat(StagedClasspath.stage(link, lib, List.of(jar)))
        .isEqualTo(lib.resolve("core.jar") + "");
    assertThat(StagedClasspath.stage(real, lib, List.of(link.resolve("core/target/core.jar"))))
        .isEqualTo(lib.resolve("core.jar") + "");
  }

  @Test
  void a_staged_jar_that_is_missing_or_differs_from_the_build_is_named() throws Exception {
    Path target = Files.createDirectories(dir.resolve("target"));
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Path same = Files.write(target.resolve("same.jar"), new byte[] {1, 2, 3});
    Path changed = Files.write(target.resolve("changed.jar"), new byte[] {1, 2, 3});
    Path fresh = Files.write(target.resolve("fresh.jar"), new byte[] {4});
    Files.write(lib.resolve("same.jar"), new byte[] {1, 2, 3});
    Files.write(lib.resolve("changed.jar"), new byte[] {1, 2, 4});

    assertThat(StagedClasspath.stale(dir, lib, List.of(same, changed, fresh)))
        .containsExactly("changed.jar", "fresh.jar");
    assertThat(StagedClasspath.stale(dir, lib, List.of(same))).isEmpty();
  }
}
