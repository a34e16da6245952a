package io.memescope.infra.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ServingSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileTest {
  @TempDir Path home;

  @Test
  void a_secret_is_owner_only_whole_and_an_empty_one_is_made_again() throws Exception {
    Path file = home.resolve("conf/secret");
    SecretFile.write(file, "s3cret");
    assertThat(Files.readString(file)).isEqualTo("s3cret\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    try (var left = Files.list(file.getParent())) {
      assertThat(left).as("no temporary file left").containsExactly(file);
    }

    // An admin key file left empty (a full disk, before the key was written whole) is not a key:
    // the next start writes one.
    MemescopeConfig config = new ConfigLoader().optOverride("home", home.toString()).load();
    Path key = ServingSettings.adminKeyFile(config.home());
    Files.createDirectories(key.getParent());
    Files.writeString(key, "");
    ServingProcess serving = new ServingProcess(config, new StackLayout(config.home()));
    Files.createDirectories(serving.confDir()); // as the stack does before preparing
    serving.prepare(ProgressListener.SILENT);
    assertThat(Files.readString(key).strip()).matches("[0-9a-f]{48}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
  }
}
