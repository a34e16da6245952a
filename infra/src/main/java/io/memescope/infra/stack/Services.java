package io.memescope.infra.stack;

import io.memescope.core.config.MemescopeConfig;
import java.util.ArrayList;
import java.util.List;

/** The services of the local stack, in start order. */
final class Services {
  private Services() {}

  static List<Service> all(MemescopeConfig config, StackLayout layout) {
    List<Service> services = new ArrayList<>();
    services.add(new KafkaService(config, layout));
    services.add(new CassandraService(config, layout));
    services.add(new MilvusService(config, layout));
    services.add(FlinkService.jobManager(config, layout));
    for (int i = 0; i < config.flink().taskManagerCount(); i++) {
      services.add(FlinkService.taskManager(config, layout, i));
    }
    if (config.crawler().enabled()) {
      services.add(new CrawlerProcess(config, layout));
    }
    if (config.serving().enabled()) {
      services.add(new ServingProcess(config, layout));
    }
    if (config.rater().enabled()) {
      services.add(new RaterProcess(config, layout));
    }
    return services;
  }

  /**
   * Every service a stack in this home may be running, whatever the settings say now: {@code down}
   * stops these. A stack started with the rater enabled, or with three TaskManagers, is stopped
   * whole after the settings turn the rater off or lower the count (until 2026-12-05 those
   * processes kept running, holding their ports, after "memescope: down").
   */
  static List<Service> stoppable(MemescopeConfig config, StackLayout layout) {
    List<Service> services = new ArrayList<>(all(config, layout));
    List<String> names = services.stream().map(Service::name).toList();
    int index = config.flink().taskManagerCount();
    // After the last TaskManager of the settings: those a larger stack left behind.
    int at = names.indexOf("flink-taskmanager-" + (index - 1)) + 1; // the count is at least 1
    for (; java.nio.file.Files.isDirectory(layout.dataDir("flink-taskmanager-" + index)); index++) {
      services.add(at++, FlinkService.taskManager(config, layout, index));
    }
    // The applications the settings turn off, in their order.
    List<Service> apps =
        List.of(
            new CrawlerProcess(config, layout),
            new ServingProcess(config, layout),
            new RaterProcess(config, layout));
    for (Service app : apps) {
      if (!names.contains(app.name())) {
        services.add(app);
      }
    }
    return services;
  }
}
