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
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
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
 * image, as a slow embedder does. A loopback server serves 1 MB images (noise, so PNG cannot shrink
 * them) and notes when it has sent each.
 */
@Timeout(180)
class FetchMemoryTest {
  private static final int IMAGES = 48;
  private static HttpServer server;
  private static ExecutorService executor;
  private static final List<Long> sentAt = Collections.synchronizedList(new ArrayList<>());
  private static byte[] image;

  @BeforeAll
  static void serve() throws Exception {
    BufferedImage noise = new BufferedImage(600, 600, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(7);
    for (int y = 0; y < 600; y++) {
      for (int x = 0; x < 600; x++) {
        noise.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(noise, "png", png);
    image = png.toByteArray();
    assertThat(image.length).isBetween(1_000_000, 1_200_000);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor = Executors.newFixedThreadPool(16);
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "image/png");
          exchange.sendResponseHeaders(200, image.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(image);
          }
          sentAt.add(System.nanoTime());
        });
    server.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop(0);
    executor.shutdownNow();
    executor.awaitTermination(10, TimeUnit.SECONDS);
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

  private static DataStream<Long> job(StreamExecutionEnvironment env, String heldBytes) {
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
          new UrlInfo(base + "/" + i + ".png", "h", "k", "it", null, null, null, 0L, Map.of()));
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

  /** The most images the server had sent, at any image's arrival, beyond those arrived. */
  private static int mostAhead(List<Long> arrivals) {
    List<Long> sent;
    synchronized (sentAt) {
      sent = new ArrayList<>(sentAt);
    }
    Collections.sort(sent);
    int most = 0;
    for (int k = 0; k < arrivals.size(); k++) {
      long at = arrivals.get(k);
      int sentBefore = (int) sent.stream().filter(t -> t <= at).count();
      most = Math.max(most, sentBefore - (k + 1));
    }
    return most;
  }

  @Test
  void behind_a_slow_stage_the_fetch_reads_no_further_ahead_than_its_held_bytes() throws Exception {
    sentAt.clear();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    List<Long> arrivals = job(env, "8m").executeAndCollect(IMAGES + 1);
    Collections.sort(arrivals);
    assertThat(arrivals).as("every image reached the slow stage").hasSize(IMAGES);
    // 8 MiB is 7.6 of these images; one more may be in the network buffers between the stages,
    // and requests running when the budget filled finish. Without the budget the server sent all
    // 48 before the first one had passed the slow stage (the async queue holds 64).
    int ahead = mostAhead(arrivals);
    System.out.println("images sent ahead of the slow stage, at most: " + ahead);
    assertThat(ahead).as("images sent ahead of the slow stage").isBetween(4, 12);
    assertThat(sentAt).hasSize(IMAGES); // each fetched once
  }

  @Test
  void without_chaining_the_job_stops_at_once_rather_than_the_fetch_waiting_forever() {
    sentAt.clear();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.disableOperatorChaining();
    assertThatThrownBy(() -> job(env, "8m").executeAndCollect(IMAGES + 1))
        .hasStackTraceContaining("the fetch stage is not chained");
  }
}
