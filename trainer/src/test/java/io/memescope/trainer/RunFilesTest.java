package io.memescope.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.quality.QualitySpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
}
