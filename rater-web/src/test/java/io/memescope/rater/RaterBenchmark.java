package io.memescope.rater;

import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.rating.RatingQueue;
import io.memescope.core.schema.Clients;
import io.memescope.infra.stack.Runtimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Benchmark of the rating page (issue 7): the time from the last keypress of a pair to the next
 * pair fully shown, measured in headless Chromium by the page itself, on the test stack. Seeds a
 * keyspace of its own with generated memes and their thumbnails, queues half the pairs (as active
 * learning would) so that both queued and random pairs are measured, starts the app and runs {@code
 * rater-bench.mjs}. Run it with {@code infra/bench/rater.sh [PAIRS]}.
 */
public final class RaterBenchmark {
  /** For npm ci and for the benchmark itself, each. */
  private static final Duration LIMIT = Duration.ofHours(1);

  private RaterBenchmark() {}

  public static void main(String[] args) throws Exception {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    System.out.println(
        "setting up: test stack, " + (pairs + 50) + " images, a queue of " + pairs / 2);
    MemescopeConfig config = RaterFixture.config(Map.of());
    List<String> ids = RaterFixture.seedImages(config, pairs + 50);
    try (var s = Clients.cassandraKeyspace(config.cassandra())) {
      List<RatingQueue.Pair> queued = new ArrayList<>();
      for (int i = 0; i < pairs / 2; i++) {
        queued.add(new RatingQueue.Pair(ids.get(i), ids.get(ids.size() - 1 - i)));
      }
      new RatingQueue(s).enqueue(config.rater().defaultQueue(), "bench", queued, 1, 0);
    }
    String password = "benchmark password";
    try (RaterApp app = new RaterApp(config)) {
      String base = "http://localhost:" + app.start("127.0.0.1", 0);
      app.ensureAdmin(password);
      Path ui = Runtimes.root().resolve("rater-web/src/test/ui");
      Path out = Runtimes.root().resolve("rater-web/target/bench/rater-bench.json");
      Files.createDirectories(out.getParent());
      RaterIT.run(
          List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", ui.toString()), LIMIT);
      RaterIT.run(
          List.of(
              "node",
              ui.resolve("rater-bench.mjs").toString(),
              "--base-url",
              base,
              "--user",
              "admin",
              "--password",
              password,
              "--pairs",
              Integer.toString(pairs),
              "--out",
              out.toString()),
          LIMIT);
      System.out.println("results: " + out);
    }
  }
}
