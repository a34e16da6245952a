package io.memescope.infra.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A generated secret (the admin key, the first rater admin's password), or a file of settings that
 * may hold one (a process's settings, which carry a key or password set in the environment: written
 * readable by everyone until 2026-12-07), written whole or not at all, readable by its owner only
 * from its first byte: written to a temporary file created with mode 600 in the same folder, then
 * renamed over the name. Written in place and then restricted, it was readable by others for a
 * moment; and a full disk left an empty file that was then kept as the secret.
 */
final class SecretFile {
  private SecretFile() {}

  /** Whether {@code file} holds a secret: it exists and is not blank. */
  static boolean present(Path file) throws IOException {
    return Files.isRegularFile(file) && !Files.readString(file).isBlank();
  }

  static void write(Path file, String secret) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp =
        Files.createTempFile(
            file.getParent(),
            file.getFileName().toString(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(tmp, secret + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
