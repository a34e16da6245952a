package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MilvusServiceTest {
  @TempDir Path home;

  @Test
  void milvus_lite_is_started_with_one_worker_and_a_running_one_without_it_is_outdated() {
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    MilvusService milvus = new MilvusService(config, new StackLayout(config.home()));

    String started = String.join(" ", milvus.command());
    assertThat(started).contains("milvus_lite server").endsWith("--max-workers 1");
    assertThat(milvus.outdated(started)).isEmpty();

    String before = started.replace(" --max-workers 1", "");
    assertThat(milvus.outdated(before))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("--max-workers 1")
                    .contains("./memescope down milvus && ./memescope up"));
  }

  /**
   * A stand-in for python3: its venv makes bin/python, and bin/pip only when {@code ensurepip} is
   * there (as Debian's python3 without python3-venv does); that bin/python installs only with pip.
   */
  private Path fakePython(String name, boolean ensurepip) throws Exception {
    return fakePython(name, ensurepip, "3.11.7");
  }

  /** As above, of Python {@code version}, which its venv writes into pyvenv.cfg as python does. */
  private Path fakePython(String name, boolean ensurepip, String version) throws Exception {
    Path venvPython =
        Files.writeString(
            home.resolve("venv-python"),
            """
            #!/bin/bash
            [[ -x "$(dirname "$0")/pip" ]] || { echo 'No module named pip'; exit 1; }
            [[ $1 == -m && $2 == pip && $3 == --version ]] && { echo 'pip 25'; exit 0; }
            exit 0
            """);
    String pip =
        ensurepip
            ? "  printf '#!/bin/bash\\n' > \"$dir/bin/pip\"; chmod +x \"$dir/bin/pip\"; exit 0\n"
            : "  echo 'ensurepip is not available'; exit 1\n";
    Path script =
        Files.writeString(
            home.resolve(name),
            "#!/bin/bash\n"
                + "if [[ $1 == -c ]]; then echo "
                + version.replaceAll("^(\\d+\\.\\d+).*", "$1")
                + "; exit 0; fi\n"
                + "if [[ $1 == -m && $2 == venv ]]; then\n"
                + "  dir=${@: -1}; rm -rf \"$dir\"; mkdir -p \"$dir/bin\"\n"
                + "  echo 'version = "
                + version
                + "' > \"$dir/pyvenv.cfg\"\n"
                + "  cp '"
                + venvPython
                + "' \"$dir/bin/python\"; chmod +x \"$dir/bin/python\"\n"
                + pip
                + "fi\n"
                + "exit 3\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  @Test
  void a_virtual_environment_left_half_made_is_made_again() throws Exception {
    for (boolean ensurepip : new boolean[] {false, true}) {
      MemescopeConfig config =
          new ConfigLoader()
              .optOverride("home", home.toString())
              .optOverride("milvus.python", fakePython("python-" + ensurepip, ensurepip).toString())
              .load();
      MilvusService milvus = new MilvusService(config, new StackLayout(config.home()));
      Files.createDirectories(milvus.confDir());
      Files.createDirectories(milvus.logFile().getParent());
      if (ensurepip) {
        // The package installed since: the next start repairs the environment and installs.
        milvus.prepare(ProgressListener.SILENT);
        assertThat(milvus.venv().resolve("bin/pip")).isExecutable();
      } else {
        assertThatThrownBy(() -> milvus.prepare(ProgressListener.SILENT))
            .isInstanceOf(StackException.class)
            .hasMessageContaining("could not create the virtual environment");
        assertThat(milvus.venv().resolve("bin/python")).as("left half made").exists();
      }
    }
  }

  @Test
  void the_stacks_environment_is_made_again_when_milvus_python_is_another_version()
      throws Exception {
    // milvus.python changed, or the system's python3 upgraded: the packages in the environment
    // are the old version's. Until 2026-12-07 it was kept: pip ran on in it, or Milvus failed at
    // start with "No module named milvus_lite", until the folder was deleted by hand.
    MilvusService milvus = null;
    // A patch release (3.11.9) keeps the packages' ABI: not made again for it.
    for (String version : new String[] {"3.11.7", "3.11.9", "3.12.1"}) {
      MemescopeConfig config =
          new ConfigLoader()
              .optOverride("home", home.toString())
              .optOverride(
                  "milvus.python", fakePython("python-" + version, true, version).toString())
              .load();
      milvus = new MilvusService(config, new StackLayout(config.home()));
      Files.createDirectories(milvus.confDir());
      Files.createDirectories(milvus.logFile().getParent());
      milvus.prepare(ProgressListener.SILENT);
      Path installed = milvus.venv().resolve("lib/installed-for");
      if (!Files.exists(installed)) {
        Files.createDirectories(installed.getParent());
        Files.writeString(installed, version); // what pip installed, for this version
      }
      assertThat(Files.readString(installed))
          .as("packages of the interpreter in use")
          .isEqualTo(version.equals("3.11.9") ? "3.11.7" : version);
    }
    assertThat(Files.readString(milvus.venv().resolve("pyvenv.cfg"))).contains("3.12.1");
  }

  @Test
  void a_virtual_environment_of_the_users_own_is_never_made_again() throws Exception {
    // milvus.venv names one the user made (uv makes them without pip): kept, and the error says
    // what pip said.
    Path own = home.resolve("my-venv");
    Files.createDirectories(own.resolve("bin"));
    Files.writeString(own.resolve("mine"), "the user's");
    Path python =
        Files.writeString(
            own.resolve("bin/python"), "#!/bin/bash\necho 'No module named pip'\nexit 1\n");
    Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwx------"));
    MemescopeConfig config =
        new ConfigLoader()
            .optOverride("home", home.toString())
            .optOverride("milvus.venv", own.toString())
            .optOverride("milvus.python", fakePython("python-ok", true).toString())
            .load();
    MilvusService milvus = new MilvusService(config, new StackLayout(config.home()));
    Files.createDirectories(milvus.confDir());
    Files.createDirectories(milvus.logFile().getParent());
    assertThatThrownBy(() -> milvus.prepare(ProgressListener.SILENT))
        .isInstanceOf(StackException.class)
        .hasMessageContaining("could not install Milvus Lite with pip: No module named pip");
    assertThat(own.resolve("mine")).as("not cleared").exists();
  }
}
