package io.memescope.infra.stack;

import io.memescope.core.config.CrawlerSettings;
import io.memescope.core.config.MemescopeConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The crawler service (module crawler) as a process of the stack: it reads the stack's effective
 * settings from a file written at every start, and answers on its metrics port when ready.
 */
final class CrawlerProcess extends Service {
  private final CrawlerSettings crawler;

  CrawlerProcess(MemescopeConfig config, StackLayout layout) {
    super(config, layout);
    this.crawler = config.crawler();
  }

  @Override
  public String name() {
    return "crawler";
  }

  @Override
  public boolean application() {
    return true;
  }

  @Override
  public String host() {
    return crawler.metricsHost();
  }

  @Override
  public Map<String, Integer> ports() {
    return Map.of("crawler.metrics-port", crawler.metricsPort());
  }

  @Override
  public String endpoint() {
    return "http://" + crawler.metricsHost() + ":" + crawler.metricsPort() + "/metrics";
  }

  private Path settingsFile() {
    return confDir().resolve("memescope.conf");
  }

  @Override
  protected void prepare(ProgressListener progress) throws IOException {
    Files.writeString(
        settingsFile(),
        "# The stack's effective settings, written at every start.\n" + config.render());
  }

  @Override
  protected List<String> command() {
    return new JavaCommand(config.stack())
        .heapMegabytes(256)
        .option("-XX:+UseSerialGC")
        .property("memescope.data", dataDir())
        .classpath(Runtimes.applicationClasspath("crawler"))
        .main("io.memescope.crawler.CrawlerService", settingsFile().toString())
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
                  HttpRequest.newBuilder(URI.create(endpoint()))
                      .timeout(Duration.ofSeconds(3))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200
          ? Health.ok(crawler.sources().size() + " source(s) configured")
          : Health.down("metrics answered " + response.statusCode());
    } catch (IOException e) {
      return Health.down("metrics port " + crawler.metricsPort() + " not answering");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down("interrupted");
    }
  }
}
