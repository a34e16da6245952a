package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.quality.QualitySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run's folder is left with, and what the command says, when a file cannot be written. */
class RunFilesTest {
  @TempDir Path dir;

  @Test
  void a_full_disk_names_the_file_and_the_version_left_unpublished() {
    // Linux's /dev/full fails every write as a full disk does, with Java's bare message.
    Path full = Path.of("/dev/full");
    assertThatThrownBy(
            () -> QualityService.writing(full, "q-1", f -> Files.write(f, new byte[100_000])))
        .isInstanceOf(IOException.class)
        .satisfies(
            e ->
                assertThat(TrainMain.describe((Exception) e))
                    .startsWith("cannot write /dev/full (No space left on device)")
                    .contains("version q-1 was trained but not published"));
  }

  @Test
  void a_report_that_cannot_be_written_leaves_the_earlier_one_whole() throws Exception {
    Path file = dir.resolve("report.json");
    report(0.61).writeJson(file);
    String before = Files.readString(file);
    assertThat(TrainingReport.readJson(file).metrics()).containsEntry("accuracy", 0.61);
    report(0.72).writeJson(file);
    assertThat(TrainingReport.readJson(file).metrics()).containsEntry("accuracy", 0.72);
    assertThat(dir.resolve("report.json.part")).doesNotExist();

    // The refit's report cannot be written (here: its temporary file's name is taken by a
    // folder): the first report stays as it was, and nothing is left beside it.
    before = Files.readString(file);
    Files.createDirectory(dir.resolve("report.json.part"));
    assertThatThrownBy(() -> report(0.83).writeJson(file)).isInstanceOf(IOException.class);
    assertThat(Files.readString(file)).isEqualTo(before);
    assertThat(dir.resolve("report.json.part")).doesNotExist();
  }

  private static TrainingReport report(double accuracy) {
    return new TrainingReport(
        new QualitySpec(List.of("funny"), 4, List.of(3), 1, 0.0),
        TrainingOptions.defaults(),
        Instant.parse("2026-12-07T03:00:00Z"),
        1.0,
        10,
        3,
        0,
        0,
        List.of(
            new TrainingReport.MemberCurve(
                1, 1, 1, List.of(0.7, 0.6), List.of(0.69, 0.68), List.of(0.5, accuracy))),
        Map.of("accuracy", accuracy),
        100,
        0);
  }

  @Test
  void a_run_stopped_before_writing_anything_leaves_no_folder_one_that_wrote_keeps_it()
      throws Exception {
    // Ctrl-C (here SIGTERM, as the launcher passes it on) skips the run's own clean-up; the
    // shutdown hook removes the folder while it is empty.
    Path empty = dir.resolve("q-empty");
    Process stopped = probe(empty, false);
    assertThat(empty).isDirectory();
    stopped.destroy();
    assertThat(stopped.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(empty).doesNotExist();

    Path written = dir.resolve("q-written");
    Process wrote = probe(written, true);
    wrote.destroy();
    assertThat(wrote.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(written.resolve("report.json")).exists();

    // Closing (the run is over) leaves the folder as it is; a failed run's own clean-up removes
    // it while it is empty.
    Path ended = dir.resolve("q-ended");
    RunFolder folder = RunFolder.open(ended);
    folder.close();
    assertThat(ended).isDirectory();
    folder.removeIfEmpty();
    assertThat(ended).doesNotExist();
  }

  /** A JVM that opens a run folder (and writes a report into it), says so, and waits. */
  private static Process probe(Path folder, boolean write) throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                FolderProbe.class.getName(),
                folder.toString(),
                String.valueOf(write))
            .redirectErrorStream(true)
            .start();
    try (var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      StringBuilder said = new StringBuilder();
      while ((line = in.readLine()) != null && !line.equals("open")) {
        said.append(line).append('\n');
      }
      assertThat(line).as("the probe's output: %s", said).isEqualTo("open");
    }
    return p;
  }

  /** Opens the run folder of its first argument, writes into it if asked, and waits. */
  public static final class FolderProbe {
    public static void main(String[] args) throws Exception {
      RunFolder.open(Path.of(args[0]));
      if (Boolean.parseBoolean(args[1])) {
        Files.writeString(Path.of(args[0], "report.json"), "{}");
      }
      System.out.println("open");
      System.out.flush();
      Thread.sleep(60_000);
    }
  }
}
