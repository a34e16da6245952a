package io.memescope.core.config;

import java.nio.file.Path;

/** Which embedding model the system uses. */
public record ModelSettings(Path dir) {
  static ModelSettings read(SettingsReader r) {
    return new ModelSettings(r.path("model.dir"));
  }
}
