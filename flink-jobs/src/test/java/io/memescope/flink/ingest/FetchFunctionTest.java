package io.memescope.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.IngestSettings;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.junit.jupiter.api.Test;

class FetchFunctionTest {
  private static IngestSettings ingest(Map<String, String> overrides) {
    return new ConfigLoader().optOverrides(overrides).load().ingest();
  }

  @Test
  void the_backstop_outlasts_a_request_waiting_behind_every_other_slot_to_its_host() {
    // 64 in flight, 16 per host: the last URL to one slow host waits three rounds of 31 s (the
    // fetch timeout and the fetcher's grace second) before its own starts.
    IngestSettings defaults = ingest(Map.of());
    assertThat(defaults.fetchConcurrency()).isEqualTo(64);
    assertThat(defaults.fetchTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(FetchFunction.asyncTimeout(defaults)).isEqualTo(Duration.ofSeconds(4 * 31 + 5));
    // 8 in flight, 2 per host: four rounds.
    IngestSettings small =
        ingest(Map.of("ingest.fetch.concurrency", "8", "ingest.fetch.timeout", "10s"));
    assertThat(FetchFunction.asyncTimeout(small)).isEqualTo(Duration.ofSeconds(4 * 11 + 5));
    // One per host at most two: never shorter than one fetch.
    IngestSettings one = ingest(Map.of("ingest.fetch.concurrency", "1"));
    assertThat(FetchFunction.asyncTimeout(one)).isEqualTo(Duration.ofSeconds(31 + 5));
  }

  @Test
  void a_request_past_its_backstop_is_a_timeout_and_cancelled_so_it_no_longer_holds_a_host_slot()
      throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> accepted = new CompletableFuture<>();
      // The server reads the request and never answers; the future completes when the client
      // closes the connection.
      CompletableFuture<Boolean> closedByClient =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket s = server.accept()) {
                  accepted.complete(null);
                  InputStream in = s.getInputStream();
                  while (in.read() != -1) {
                    // the request, then nothing until the client goes
                  }
                  return true;
                } catch (Exception e) {
                  return false;
                }
              });
      FetchFunction fetch =
          new FetchFunction(
              ingest(
                  Map.of(
                      "ingest.fetch.allow-private-hosts", "[localhost]",
                      "ingest.fetch.timeout", "60s",
                      "ingest.fetch.read-timeout", "60s")),
              Duration.ofSeconds(2));
      fetch.open(null);
      try {
        String url = "http://localhost:" + server.getLocalPort() + "/slow.png";
        UrlInfo info = new UrlInfo(url, "h", "k", "it", null, null, null, 0L, Map.of());
        Recorded result = new Recorded();
        long start = System.nanoTime();
        fetch.asyncInvoke(info, result);
        accepted.get(10, TimeUnit.SECONDS);
        // Flink's timer, counted from when the URL came in, leaves a started request alone.
        fetch.timeout(info, result);
        assertThat(closedByClient.get(10, TimeUnit.SECONDS))
            .as("the request ended with its 2 s backstop, not 60 s later")
            .isTrue();
        result.await();
        assertThat(Duration.ofNanos(result.at - start))
            .as("completed by the backstop, not by Flink's timeout")
            .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(result.first)
            .singleElement()
            .satisfies(f -> assertThat(f.rejection().reason()).isEqualTo("timeout"));
      } finally {
        fetch.close();
      }
    }
  }

  @Test
  void a_url_waiting_for_memory_when_flink_times_it_out_is_fetched_later_not_rejected()
      throws Exception {
    byte[] image = FetchMemoryTest.noisePng(600, 3);
    assertThat(image.length).as("over the 1 MiB held").isGreaterThan(1 << 20);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "image/png");
          exchange.sendResponseHeaders(200, image.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(image);
          }
        });
    server.start();
    FetchFunction fetch =
        new FetchFunction(
            ingest(
                Map.of(
                    "ingest.fetch.allow-private-hosts", "[localhost]",
                    "ingest.fetch.held-bytes", "1m")));
    fetch.open(null);
    try {
      String base = "http://localhost:" + server.getAddress().getPort();
      UrlInfo first = new UrlInfo(base + "/1.png", "h", "k", "it", null, null, null, 0L, Map.of());
      UrlInfo second = new UrlInfo(base + "/2.png", "h", "k", "it", null, null, null, 0L, Map.of());
      Recorded firstResult = new Recorded();
      Recorded secondResult = new Recorded();
      fetch.asyncInvoke(first, firstResult);
      firstResult.await();
      fetch.asyncInvoke(second, secondResult); // waits: the first's body is held until analysed
      assertThat(firstResult.first)
          .singleElement()
          .satisfies(f -> assertThat(f.bytes()).hasSize(image.length));
      // Its 1.1 MB are held until analysed: the second still waits, and Flink's timeout (which
      // does nothing) leaves it waiting.
      fetch.timeout(second, secondResult);
      Thread.sleep(500);
      assertThat(secondResult.first).as("neither started nor rejected").isNull();
      // The first analysed (as Analyze, chained on the same thread, gives it back).
      HeldBodies.ofThisThread().release(image.length);
      secondResult.await();
      assertThat(secondResult.first)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.rejection()).isNull();
                assertThat(f.bytes()).hasSize(image.length);
              });
      HeldBodies.ofThisThread().release(image.length);
      assertThat(HeldBodies.ofThisThread().held()).isZero();
    } finally {
      fetch.close();
      server.stop(0);
    }
  }

  /** What Flink keeps of an element's results: the first completion only. */
  private static final class Recorded implements ResultFuture<Fetched> {
    volatile List<Fetched> first;
    volatile long at; // System.nanoTime() of the first completion
    private final CompletableFuture<Void> completed = new CompletableFuture<>();

    @Override
    public synchronized void complete(Collection<Fetched> results) {
      if (first == null) {
        at = System.nanoTime();
        first = new ArrayList<>(results);
        completed.complete(null);
      }
    }

    void await() throws Exception {
      completed.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void completeExceptionally(Throwable error) {
      complete(List.of());
    }

    @Override
    public void complete(CollectionSupplier<Fetched> supplier) {
      try {
        complete(supplier.get());
      } catch (Exception e) {
        completeExceptionally(e);
      }
    }
  }
}
