package io.memescope.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.infra.testing.Console.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInstallTest {
  @TempDir Path home;
  @TempDir Path tools;

  private static Path script(Path file, String body) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /**
   * A stand-in for the configured interpreter: runs {@code first}, then, asked for a venv, makes
   * one whose Python runs {@code venvPython} (a printf format: lines end in an escaped newline) and
   * exits 0, pip and everything else.
   */
  private Path interpreter(String first, String venvPython) throws Exception {
    return script(
        tools.resolve("python3"),
        first
            + "if [ \"$1\" = -m ] && [ \"$2\" = venv ]; then\n"
            + "  for last; do :; done\n"
            + "  mkdir -p \"$last/bin\"\n"
            + "  printf '#!/bin/sh\\n"
            + venvPython
            + "exit 0\\n' > \"$last/bin/python\"\n"
            + "  chmod +x \"$last/bin/python\"\n"
            + "fi\n");
  }

  @Test
  void an_export_environment_without_pip_is_made_again() throws Exception {
    // What Debian's python3 leaves without python3-venv: bin/python, and no pip in it. Until
    // 2026-12-06 every later `model install` failed with "No module named pip" until the folder
    // was deleted by hand.
    Path venv = home.resolve("export-venv");
    script(venv.resolve("bin/python"), "exit 1\n");
    Path calls = tools.resolve("calls.txt");
    // The configured interpreter records its arguments.
    Path python = interpreter("echo \"$@\" >> '" + calls + "'\n", "");
    Outcome outcome =
        Cli.run(
            home,
            "--set",
            "milvus.python=" + python,
            "model",
            "install",
            "ViT-B-32",
            "--pretrained",
            "x",
            "--out",
            tools.resolve("out").toString());
    assertThat(Files.readString(calls)).contains("-m venv --clear " + venv.toAbsolutePath());
    assertThat(outcome.err()).doesNotContain("pip install");
  }

  @Test
  void the_default_target_is_the_repositorys_models_folder_wherever_the_command_runs()
      throws Exception {
    // A relative model.dir is the repository's; until 2026-12-07 the install wrote under the
    // folder the command ran in, where nothing read it.
    Path calls = tools.resolve("calls.txt");
    Path python = interpreter("", "echo \"$@\" >> " + calls + "\\n");
    Cli.run(
        home,
        "--set",
        "milvus.python=" + python,
        "model",
        "install",
        "ViT-B-32",
        "--pretrained",
        "x");
    Path root = Path.of(System.getProperty("memescope.root")).toAbsolutePath().normalize();
    assertThat(Files.readString(calls)).contains("--out " + root.resolve("models/ViT-B-32-x"));
  }
}
