package io.memescope.infra.testing;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Schema;
import io.memescope.infra.stack.LocalStack;
import io.memescope.infra.stack.ProgressListener;
import io.memescope.infra.stack.Runtimes;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * The local stack that integration tests share: started once per build (the first test JVM starts
 * it, later ones find it healthy and reuse it), on the ports of {@code test-stack.conf} so it never
 * meets a stack the user runs. {@code ./memescope test} stops it at the end.
 *
 * <pre>{@code
 * MemescopeConfig config = TestStack.config();   // up and healthy
 * }</pre>
 */
public final class TestStack {
  private static MemescopeConfig config;

  private TestStack() {}

  /** The shared stack's configuration, after making sure every service is up. */
  public static synchronized MemescopeConfig config() {
    if (config == null) {
      MemescopeConfig candidate = load(Map.of());
      LocalStack stack = new LocalStack(candidate);
      ProgressListener log =
          (service, message) -> System.out.println("[test-stack] " + service + ": " + message);
      stack.up(stack.infrastructure(), log);
      // Applications need the schema (the crawler opens the keyspace), as at `memescope up`.
      Schema.apply(candidate);
      stack.up(stack.applications(), log);
      config = candidate;
    }
    return config;
  }

  /** The test stack's configuration with extra overrides, without starting anything. */
  public static MemescopeConfig load(Map<String, String> overrides) {
    Path root = Runtimes.root();
    return new ConfigLoader()
        .optFile(root.resolve("infra/src/test/resources/test-stack.conf"))
        .optOverride("home", root.resolve(".memescope-test").toString())
        .optOverride("model.dir", root.resolve("models/tiny").toString())
        .optOverrides(overrides)
        .load();
  }

  /** A name no other test uses, for a fresh topic, keyspace or collection. */
  public static String uniqueName(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }
}
