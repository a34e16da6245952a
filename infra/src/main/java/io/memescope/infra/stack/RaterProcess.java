package io.memescope.infra.stack;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.RaterSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The rater web app (module rater-web) as a process of the stack. When no admin password is
 * configured, the first start generates one into {@link RaterSettings#adminPasswordFile}, readable
 * by its owner only; the app creates the account {@code admin} with it while there are no raters.
 */
final class RaterProcess extends ApplicationProcess {
  private final RaterSettings rater;

  RaterProcess(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
    this.rater = config.rater();
  }

  @Override
  public String name() {
    return "rater";
  }

  @Override
  protected List<String> startSettings() {
    return settings(List.of("rater", "model.dir"), CASSANDRA_CLIENT);
  }

  @Override
  public String host() {
    return rater.host();
  }

  @Override
  public Map<String, Integer> ports() {
    return Map.of("rater.port", rater.port());
  }

  @Override
  public String endpoint() {
    return "http://" + rater.host() + ":" + rater.port() + "/";
  }

  @Override
  protected String readyUrl() {
    return "http://" + rater.host() + ":" + rater.port() + "/health";
  }

  @Override
  protected String readyDetail() {
    return "rating pages and API";
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    super.prepare(progress);
    Path file = RaterSettings.adminPasswordFile(config.home());
    if (rater.adminPassword().isBlank() && !SecretFile.present(file)) {
      byte[] bytes = new byte[15];
      new SecureRandom().nextBytes(bytes);
      SecretFile.write(file, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
      progress.step(name(), "generated the first admin's password in " + file);
    }
  }

  @Override
  protected String module() {
    return "rater-web";
  }

  @Override
  protected List<String> command() {
    return new JavaCommand(config.stack())
        .heapMegabytes(256)
        .option("-XX:+UseSerialGC")
        .property("memescope.data", dataDir())
        .classpath(stagedClasspath(module()))
        .main("io.memescope.rater.RaterMain", settingsFile().toString())
        .build();
  }
}
