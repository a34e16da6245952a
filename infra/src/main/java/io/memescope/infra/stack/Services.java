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
}
