package io.memescope.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** How the local stack starts and stops its processes. */
public record StackSettings(Duration startTimeout, Duration stopTimeout, Optional<Path> javaHome) {
  static StackSettings read(SettingsReader r) {
    String javaHome = r.string("stack.java-home");
    return new StackSettings(
        r.positiveDuration("stack.start-timeout"),
        r.positiveDuration("stack.stop-timeout"),
        javaHome.isBlank() ? Optional.empty() : Optional.of(Path.of(javaHome)));
  }
}
