package io.memescope.infra.stack;

import io.memescope.core.config.CrawlerSettings;
import io.memescope.core.config.MemescopeConfig;
import java.util.List;
import java.util.Map;

/**
 * The crawler service (module crawler) as a process of the stack; ready when its metrics answer.
 */
final class CrawlerProcess extends ApplicationProcess {
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
  protected List<String> startSettings() {
    return settings(List.of("crawler"), KAFKA_CLIENT, CASSANDRA_CLIENT);
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
    return readyUrl();
  }

  @Override
  protected String readyUrl() {
    return "http://" + crawler.metricsHost() + ":" + crawler.metricsPort() + "/metrics";
  }

  @Override
  protected String readyDetail() {
    // Sources added at run time live in Cassandra, which a health probe does not read.
    return crawler.sources().size() + " source(s) in the settings; all: ./memescope sources list";
  }

  @Override
  protected String module() {
    return "crawler";
  }

  @Override
  protected List<String> command() {
    return new JavaCommand(config.stack())
        .heapMegabytes(256)
        .option("-XX:+UseSerialGC")
        .property("memescope.data", dataDir())
        .classpath(stagedClasspath(module()))
        .main("io.memescope.crawler.CrawlerService", settingsFile().toString())
        .build();
  }
}
