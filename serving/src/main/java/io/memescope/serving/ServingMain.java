package io.memescope.serving;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ServingSettings;
import io.memescope.core.embed.ClipEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving process of the stack: {@code ServingMain CONFIG_FILE}. The admin key is {@code
 * serving.admin-key} or, when that is empty, the file {@code <home>/conf/admin-key} that {@code
 * memescope up} writes.
 */
public final class ServingMain {
  private static final Logger LOG = LoggerFactory.getLogger(ServingMain.class);

  private ServingMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: ServingMain CONFIG_FILE");
      System.exit(2);
    }
    MemescopeConfig config = new ConfigLoader().optFile(Path.of(args[0])).load();
    String key = adminKey(config);
    ClipEncoder encoder = ClipEncoder.load(config.model().dir(), config.model().encoderOptions());
    ServingApp app = new ServingApp(config, encoder, key);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  app.close();
                  encoder.close();
                }));
    int port = app.start(config.serving().host(), config.serving().port());
    LOG.info(
        "serving on http://{}:{}/ (admin endpoints {})",
        config.serving().host(),
        port,
        key.isEmpty() ? "disabled: no key" : "enabled");
  }

  /** The configured key, else the stack's key file, else none (admin endpoints refuse). */
  static String adminKey(MemescopeConfig config) throws IOException {
    if (!config.serving().adminKey().isBlank()) {
      return config.serving().adminKey().strip();
    }
    Path file = ServingSettings.adminKeyFile(config.home());
    return Files.isRegularFile(file) ? Files.readString(file).strip() : "";
  }
}
