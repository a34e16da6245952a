package io.memescope.infra.stack;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ServingSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The serving API and search UI (module serving) as a process of the stack. When no admin key is
 * configured, the first start generates one into {@code <home>/conf/admin-key}, readable by its
 * owner only, where the server and the user find it.
 */
final class ServingProcess extends Service {
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
  public boolean application() {
    return true;
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

  private Path settingsFile() {
    return confDir().resolve("memescope.conf");
  }

  /** Where the generated admin key lives (the server reads the same path). */
  static Path adminKeyFile(MemescopeConfig config) {
    return config.home().resolve("conf").resolve("admin-key");
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    // The server runs in its own directory: paths go to it absolute, the model's as the ingest
    // job gets it (relative to the repository).
    com.typesafe.config.Config settings =
        config
            .source()
            .withValue("home", value(config.home().toAbsolutePath().normalize().toString()))
            .withValue(
                "model.dir",
                value(
                    Runtimes.root()
                        .resolve(config.model().dir())
                        .toAbsolutePath()
                        .normalize()
                        .toString()))
            .withValue(
                "serving.file-roots",
                value(
                    serving.fileRoots().isEmpty()
                        ? config.ingest().fileRoots()
                        : serving.fileRoots().stream().map(Path::toString).toList()));
    Files.writeString(
        settingsFile(),
        "# The stack's effective settings, written at every start.\n"
            + settings
                .root()
                .render(com.typesafe.config.ConfigRenderOptions.concise().setFormatted(true)));
    Path key = adminKeyFile(config);
    if (serving.adminKey().isBlank() && !Files.exists(key)) {
      Files.createDirectories(key.getParent());
      byte[] bytes = new byte[24];
      new SecureRandom().nextBytes(bytes);
      Files.writeString(key, HexFormat.of().formatHex(bytes) + "\n");
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
      progress.step(name(), "generated an admin key in " + key);
    }
  }

  private static com.typesafe.config.ConfigValue value(Object v) {
    return com.typesafe.config.ConfigValueFactory.fromAnyRef(v);
  }

  @Override
  protected List<String> command() {
    return new JavaCommand(config.stack())
        .heapMegabytes(512)
        .option("-XX:+UseSerialGC")
        .property("memescope.data", dataDir())
        .classpath(Runtimes.applicationClasspath("serving"))
        .main("io.memescope.serving.ServingMain", settingsFile().toString())
        .build();
  }

  @Override
  public Health probe() {
    try {
      HttpResponse<Void> response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(2))
              .build()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://" + serving.host() + ":" + serving.port() + "/health"))
                      .timeout(Duration.ofSeconds(3))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200
          ? Health.ok("search UI and API")
          : Health.down("health answered " + response.statusCode());
    } catch (IOException e) {
      return Health.down("port " + serving.port() + " not answering");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down("interrupted");
    }
  }
}
