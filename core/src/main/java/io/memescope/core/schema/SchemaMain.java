package io.memescope.core.schema;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.nio.file.Path;

/**
 * Applies the schema ({@link Schema#apply}) and exits: what {@code ./memescope up} does before it
 * starts the applications, as a process of its own for a cluster (a Kubernetes Job, a compose
 * service that the others wait for).
 *
 * <pre>{@code
 * java -cp ... io.memescope.core.schema.SchemaMain memescope.conf
 * }</pre>
 */
public final class SchemaMain {
  private SchemaMain() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: SchemaMain <memescope.conf>");
      System.exit(2);
    }
    MemescopeConfig config = new ConfigLoader().optFile(Path.of(args[0])).load();
    for (String change : Schema.apply(config)) {
      System.out.println(change);
    }
  }
}
