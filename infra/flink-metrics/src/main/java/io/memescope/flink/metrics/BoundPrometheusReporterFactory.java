package io.memescope.flink.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Properties;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.prometheus.AbstractPrometheusReporter;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Flink's Prometheus reporter, bound to one address. Flink's own {@code PrometheusReporter} takes
 * only a port and listens on every interface, which the local stack never does. Same metrics, same
 * names; the settings are {@code metrics.reporter.<name>.host} and {@code .port}.
 */
public final class BoundPrometheusReporterFactory implements MetricReporterFactory {
  @Override
  public MetricReporter createMetricReporter(Properties properties) {
    MetricConfig config = new MetricConfig();
    config.putAll(properties);
    return new Reporter(config.getString("host", "127.0.0.1"), config.getInteger("port", 9249));
  }

  static final class Reporter extends AbstractPrometheusReporter {
    private final HTTPServer server;

    Reporter(String host, int port) {
      try {
        // The collectors go to the registry of the base class, which it does not expose.
        Field field = AbstractPrometheusReporter.class.getDeclaredField("registry");
        field.setAccessible(true);
        CollectorRegistry registry = (CollectorRegistry) field.get(this);
        server = new HTTPServer(new InetSocketAddress(host, port), registry, true);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port, e);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("Flink's Prometheus reporter changed", e);
      }
      log.info("Prometheus metrics on http://{}:{}/metrics", host, port);
    }

    @Override
    public void close() {
      server.stop();
      super.close();
    }
  }
}
