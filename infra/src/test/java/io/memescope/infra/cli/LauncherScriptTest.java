package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./memescope} script's choice to build or not, on a copy of it in a folder of its own:
 * a {@code mvn} on its PATH that fails and says it ran, and a {@code java} (JAVA_HOME) that says
 * what it was asked to run. Nothing here builds or starts anything.
 */
class LauncherScriptTest {
  @TempDir Path dir;
  Path root;
  Path calls;

  @BeforeEach
  void checkout() throws IOException {
    root = Files.createDirectories(dir.resolve("checkout"));
    Path script = Path.of(System.getProperty("memescope.root", "..")).resolve("memescope");
    Files.copy(script, root.resolve("memescope"));
    executable(root.resolve("memescope"));
    calls = dir.resolve("calls");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.writeString(bin.resolve("mvn"), "#!/bin/sh\necho \"mvn $*\" >> " + calls + "\nexit 1\n");
    executable(bin.resolve("mvn"));
    Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
    Files.writeString(
        jdk.resolve("java"),
        "#!/bin/sh\nfor a; do last=\"$a\"; done\necho \"java $last\" >> " + calls + "\n");
    executable(jdk.resolve("java"));
    Files.createDirectories(root.resolve("core/src/main/java"));
    Files.createDirectories(root.resolve("infra/target"));
  }

  /** A build made in {@code where} at {@code at}: its classpath names a module jar there. */
  private void builtIn(Path where, Instant at) throws IOException {
    Path jar = where.resolve("core/target/core.jar");
    if (where.equals(root)) {
      Files.createDirectories(jar.getParent());
      Files.write(jar, new byte[] {1});
    }
    Path stamp = root.resolve("infra/target/classpath.txt");
    Files.writeString(stamp, "/usr:" + jar + "\n");
    Files.setLastModifiedTime(stamp, FileTime.from(at));
  }

  /** A source file edited at {@code at}. */
  private void edited(Instant at) throws IOException {
    Path source = root.resolve("core/src/main/java/A.java");
    Files.writeString(source, "class A {}");
    Files.setLastModifiedTime(source, FileTime.from(at));
  }

  private record Ran(int status, String stderr, List<String> calls) {}

  private Ran run(String... args) throws Exception {
    Files.deleteIfExists(calls);
    List<String> command =
        new java.util.ArrayList<>(List.of("bash", root.resolve("memescope").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("PATH", dir.resolve("bin") + ":/usr/bin:/bin");
    pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
    Process p = pb.start();
    p.getOutputStream().close();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> made = Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    return new Ran(p.exitValue(), err, made);
  }

  @Test
  void down_status_and_logs_run_on_the_last_build_when_the_sources_no_longer_build()
      throws Exception {
    // Until 2026-12-07 they built first: a tree that did not compile kept the stack from being
    // stopped, and `down` waited minutes for a rebuild.
    Instant built = Instant.now().minusSeconds(3600);
    builtIn(root, built);
    edited(built.plusSeconds(60));
    for (String command : List.of("down", "status", "logs")) {
      Ran ran = run(command);
      assertThat(ran.calls()).as(command).containsExactly("java " + command);
      assertThat(ran.stderr()).contains("the sources changed since the last build");
      assertThat(ran.status()).isZero();
    }
    Ran up = run("up");
    assertThat(up.calls()).as("up builds first").hasSize(1).allMatch(c -> c.startsWith("mvn "));
    assertThat(up.status()).isEqualTo(2);
    assertThat(up.stderr()).contains("build failed");
  }

  @Test
  void a_build_made_in_another_place_is_built_again_even_for_down() throws Exception {
    // A checkout moved or renamed keeps its target/ folders, whose classpath names the old
    // place: until 2026-12-07 every command failed on a missing class instead of building.
    // (The build of a whole checkout names its modules' jars by path; one of a single module
    // names them in the Maven repository, and stays usable.)
    Instant built = Instant.now().minusSeconds(3600);
    builtIn(dir.resolve("old-place"), built);
    edited(built.minusSeconds(60));
    Ran down = run("down");
    assertThat(down.calls()).hasSize(1).allMatch(c -> c.startsWith("mvn "));
    assertThat(down.status()).isEqualTo(2);
    builtIn(root, built);
    assertThat(run("status").calls())
        .as("built here, nothing newer")
        .containsExactly("java status");
  }

  private static void executable(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
