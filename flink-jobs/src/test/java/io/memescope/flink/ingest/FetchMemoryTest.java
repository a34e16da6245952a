package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fetch stage's memory under backpressure, on Flink's own runtime (a local mini cluster): the
 * job's fetch and analysis, chained as in the ingest job, in front of a stage that takes 100 ms an
 * image, as a slow embedder does. A loopback server serves images of 1.1 or 3.3 MB (noise, so PNG
 * cannot shrink them); the fetch's own gauges say the most it held at once, and how many requests
 * it dropped after their headers to ask for them again.
 */
@Timeout(180)
class FetchMemoryTest {
  private static final int IMAGES = 48;
  private static HttpServer server;
  private static ExecutorService executor;
  private static byte[] small;
  private static byte[] large;

  /** A PNG of random pixels, {@code side} square: PNG cannot shrink it. */
  static byte[] noisePng(int side, long seed) throws java.io.IOException {
    BufferedImage noise = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(seed);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        noise.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(noise, "png", png);
    return png.toByteArray();
  }

  @BeforeAll
  static void serve() throws Exception {
    small = noisePng(600, 7);
    assertThat(small.length).isBetween(1_000_000, 1_200_000);
    large = noisePng(1050, 8);
    assertThat(large.length).isBetween(3_100_000, 3_600_000);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor = Executors.newFixedThreadPool(16);
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          byte[] image = exchange.getRequestURI().getPath().startsWith("/large/") ? large : small;
          exchange.getResponseHeaders().set("Content-Type", "image/png");
          exchange.sendResponseHeaders(200, image.length);
          // A piece at a time, as from a real server.
          try (OutputStream out = exchange.getResponseBody()) {
            for (int at = 0; at < image.length; at += 64 << 10) {
              out.write(image, at, Math.min(64 << 10, image.length - at));
              out.flush();
              Thread.sleep(1);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        });
    server.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop(0);
    executor.shutdownNow();
    executor.awaitTermination(10, TimeUnit.SECONDS);
  }

  /**
   * Flink's metrics reporter for this test (the mini cluster runs in this JVM): keeps each fetch
   * subtask's {@code fetch_held_bytes_peak} gauge, readable after the job too.
   */
  public static final class Peaks implements MetricReporterFactory, MetricReporter {
    static final List<Gauge<?>> GAUGES = Collections.synchronizedList(new ArrayList<>());
    static final List<Gauge<?>> DEFERRED = Collections.synchronizedList(new ArrayList<>());

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return this;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
      if (name.equals("fetch_held_bytes_peak")) {
        GAUGES.add((Gauge<?>) metric);
      } else if (name.equals("fetch_deferred_for_memory")) {
        DEFERRED.add((Gauge<?>) metric);
      }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    /** Requests dropped after their headers, for want of room, in all fetch subtasks. */
    static long deferred() {
      synchronized (DEFERRED) {
        return DEFERRED.stream().mapToLong(g -> (Long) g.getValue()).sum();
      }
    }

    /** The most any fetch subtask held at once. */
    static long peak() {
      synchronized (GAUGES) {
        assertThat(GAUGES).as("the fetch's gauge was registered").isNotEmpty();
        return GAUGES.stream().mapToLong(g -> (Long) g.getValue()).max().orElseThrow();
      }
    }
  }

  private static StreamExecutionEnvironment environment() {
    Peaks.GAUGES.clear();
    Peaks.DEFERRED.clear();
    Configuration conf = new Configuration();
    conf.setString("metrics.reporter.peaks.factory.class", Peaks.class.getName());
    return StreamExecutionEnvironment.createLocalEnvironment(conf);
  }

  /** The slow stage behind the analysis: when each image reached it. */
  static final class Slow extends ProcessFunction<Candidate, Long> {
    @Override
    public void processElement(Candidate candidate, Context ctx, Collector<Long> out)
        throws Exception {
      out.collect(System.nanoTime());
      Thread.sleep(100);
    }
  }

  private static DataStream<Long> job(
      StreamExecutionEnvironment env, String heldBytes, String folder) {
    MemescopeConfig config =
        new ConfigLoader()
            .optOverrides(
                Map.of(
                    "ingest.fetch.allow-private-hosts",
                    "[localhost]",
                    "ingest.fetch.held-bytes",
                    heldBytes))
            .load();
    env.setParallelism(1);
    List<UrlInfo> urls = new ArrayList<>();
    String base = "http://localhost:" + server.getAddress().getPort();
    for (int i = 0; i < IMAGES; i++) {
      urls.add(
          new UrlInfo(
              base + "/" + folder + "/" + i + ".png",
              "h",
              "k",
              "it",
              null,
              null,
              null,
              0L,
              Map.of()));
    }
    DataStream<Fetched> fetched =
        AsyncDataStream.unorderedWait(
            env.fromData(urls),
            new FetchFunction(config.ingest()),
            60,
            TimeUnit.SECONDS,
            config.ingest().fetchConcurrency());
    return fetched
        .process(new Analyze(config.model().maxPixels()))
        .rebalance() // a network hop, as to the de-duplicator
        .process(new Slow());
  }

  /**
   * Runs the job on the images in {@code folder} with an 8 MiB budget, checks that every one got
   * through, and returns the most the fetch held at once.
   */
  private static long mostHeld(String folder, String size) throws Exception {
    List<Long> arrivals = job(environment(), "8m", folder).executeAndCollect(IMAGES + 1);
    assertThat(arrivals).as("every image reached the slow stage").hasSize(IMAGES);
    long peak = Peaks.peak();
    System.out.printf(
        "%s images: the fetch held at most %d bytes; %d requests dropped after their headers%n",
        size, peak, Peaks.deferred());
    return peak;
  }

  @Test
  void behind_a_slow_stage_the_fetch_holds_no_more_than_its_budget() throws Exception {
    // A body is read only if its declared size fits beside what is held, and a request starts only
    // while one of the average size would: never more than the 8 MiB (7 of these 1.1 MB images).
    long peak = mostHeld("small", "1.1 MB");
    assertThat(peak).isBetween(6 * (long) small.length, 8L << 20);
  }

  @Test
  void from_the_start_bodies_larger_than_expected_are_read_only_as_they_fit() throws Exception {
    // The first requests, before any body has been read, must not all read theirs: they go out
    // expecting 1 MB bodies, and 8 MiB holds two of these. Counted at 1 MB each until read, as a
    // first version of the budget did, they all were.
    long peak = mostHeld("large", "3.3 MB");
    assertThat(peak).isBetween(2 * (long) large.length, 8L << 20);
  }

  @Test
  void without_chaining_the_job_stops_at_once_rather_than_the_fetch_waiting_forever() {
    StreamExecutionEnvironment env = environment();
    env.disableOperatorChaining();
    assertThatThrownBy(() -> job(env, "8m", "small").executeAndCollect(IMAGES + 1))
        .hasStackTraceContaining("the fetch stage is not chained");
  }
}
