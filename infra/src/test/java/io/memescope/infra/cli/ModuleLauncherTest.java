package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A module command (train, crawl, sources) runs on its own copy of the build outputs. */
class ModuleLauncherTest {
  @TempDir Path dir;

  @Test
  void a_rebuild_during_a_module_run_does_not_pull_its_classes_from_under_it() throws Exception {
    // A repository whose module "demo" is built: the probe's classes in demo/target/classes.
    Path root = dir.resolve("repo");
    Path classes = root.resolve("demo/target/classes");
    Path pkg = Files.createDirectories(classes.resolve("io/memescope/infra/cli"));
    Path built =
        Path.of(StagingProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("io/memescope/infra/cli");
    for (String name : List.of("StagingProbe.class", "StagingProbe$Late.class")) {
      Files.copy(built.resolve(name), pkg.resolve(name));
    }
    Files.writeString(root.resolve("demo/target/classpath.txt"), "\n");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path out = Files.createDirectories(dir.resolve("out")).resolve("result");

    CompletableFuture<Integer> run =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ModuleLauncher.run(
                    new Memescope(),
                    root,
                    tmp,
                    "demo",
                    StagingProbe.class.getName(),
                    "demo",
                    List.of(out.toString()));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Path started = out.resolveSibling("started");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(started) && System.nanoTime() < deadline && !run.isDone()) {
      Thread.sleep(20);
    }
    assertThat(started).exists();
    Thread.sleep(200); // the classpath is written before the file is closed
    String classpath = Files.readString(started);
    assertThat(classpath).startsWith(tmp.resolve("memescope-run-demo-").toString());
    assertThat(classpath).doesNotContain(root.toString());
    // In a folder of this user's alone, as made: not one emptied and made again, which another
    // user of a shared /tmp could have put in its place.
    Path copy = tmp.relativize(Path.of(classpath.split(":")[0])).getName(0);
    assertThat(Files.getPosixFilePermissions(tmp.resolve(copy)))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    // The rebuild: the build outputs go while the run still has a class to load.
    io.memescope.infra.stack.StagedClasspath.deleteTree(classes);
    Files.writeString(out.resolveSibling("go"), "");

    assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
    assertThat(out).content().startsWith("loaded from file:" + tmp);
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left).as("the run's copy is removed when it ends").isEmpty();
    }
  }

  @Test
  void a_copy_left_by_a_killed_run_is_swept_once_its_processes_are_gone() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    long dead = gone.pid();
    long alive = ProcessHandle.current().pid();
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path deadRun = Files.createDirectories(tmp.resolve("memescope-run-trainer-" + dead + "-1"));
    Files.writeString(deadRun.resolve("pids"), dead + "\n" + dead + "\n");
    Path moduleAlive = Files.createDirectories(tmp.resolve("memescope-run-trainer-" + dead + "-2"));
    Files.writeString(moduleAlive.resolve("pids"), dead + "\n" + alive + "\n");
    Path launcherAlive =
        Files.createDirectories(tmp.resolve("memescope-run-crawler-" + alive + "-3"));
    Path notOurs = Files.createDirectories(tmp.resolve("memescope-run-notes"));

    ModuleLauncher.sweep(tmp);

    assertThat(deadRun).doesNotExist();
    assertThat(moduleAlive).as("the module's JVM still runs on it").exists();
    assertThat(launcherAlive).as("its launcher has not written the pids yet").exists();
    assertThat(notOurs).exists();
  }
}
