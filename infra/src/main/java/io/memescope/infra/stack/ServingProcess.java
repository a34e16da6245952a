package io.memescope.infra.stack;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ServingSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The serving API and search UI (module serving) as a process of the stack. When no admin key is
 * configured, the first start generates one into {@link ServingSettings#adminKeyFile}, readable by
 * its owner only, where the server and the user find it.
 */
final class ServingProcess extends ApplicationProcess {
  private final ServingSettings serving;

  ServingProcess(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
    this.serving = config.serving();
  }

  @Override
  public String name() {
    return "serving";
  }

  @Override
  protected List<String> startSettings() {
    return settings(
        List.of("serving", "model", "ingest.fetch.file-roots"),
        KAFKA_CLIENT,
        CASSANDRA_CLIENT,
        MILVUS_CLIENT);
  }

  @Override
  public String host() {
    return serving.host();
  }

  @Override
  public Map<String, Integer> ports() {
    return Map.of("serving.port", serving.port());
  }

  @Override
  public String endpoint() {
    return "http://" + serving.host() + ":" + serving.port() + "/";
  }

  @Override
  protected String readyUrl() {
    return "http://" + serving.host() + ":" + serving.port() + "/health";
  }

  @Override
  protected String readyDetail() {
    return "search UI and API";
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    super.prepare(progress);
    Path key = ServingSettings.adminKeyFile(config.home());
    if (serving.adminKey().isBlank() && !SecretFile.present(key)) {
      byte[] bytes = new byte[24];
      new SecureRandom().nextBytes(bytes);
      SecretFile.write(key, HexFormat.of().formatHex(bytes));
      progress.step(name(), "generated an admin key in " + key);
    }
  }

  @Override
  protected String module() {
    return "serving";
  }

  @Override
  protected List<String> command() {
    return new JavaCommand(config.stack())
        .heapMegabytes(512)
        .option("-XX:+UseSerialGC")
        .property("memescope.data", dataDir())
        .classpath(stagedClasspath(module()))
        .main("io.memescope.serving.ServingMain", settingsFile().toString())
        .build();
  }
}
