package io.memescope.flink.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ModelSettings;
import io.memescope.core.embed.ClipEncoder;
import io.memescope.core.records.Json;
import io.memescope.infra.flink.FlinkRestClient;
import io.memescope.infra.flink.IngestJobs;
import io.memescope.infra.testing.TestStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The ingest benchmark of issue 5, on the test stack: (1) the embedder alone (the tiny model, one
 * thread, the job's batch size) on the corpus's images, after a warm-up; (2) the whole job on the
 * same images served over HTTP, after a warm-up of other images, from the publication of their URLs
 * (to the job, running and idle) to the last image indexed, with the CPU each process of the stack
 * and each thread of the TaskManager spent; (3) the TaskManager's heap after a full GC once 1,000
 * and once all images are indexed.
 *
 * <pre>{@code infra/bench/ingest.sh [IMAGES [WARMUP]]}</pre>
 */
public final class IngestBenchmark {
  /** {@code overrides} and the key-value pairs given. */
  private static java.util.Map<String, String> with(
      java.util.Map<String, String> overrides, String... pairs) {
    java.util.Map<String, String> all = new java.util.HashMap<>(overrides);
    for (int i = 0; i < pairs.length; i += 2) {
      all.put(pairs[i], pairs[i + 1]);
    }
    return all;
  }

  public static void main(String[] args) throws Exception {
    int images = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    // Images indexed before the timed run, as the embedder alone is warmed up before its own: a
    // freshly submitted job's classes are new to the JIT (its compiler threads took 1.1 ms of CPU
    // per image over the first 10,000), which a running job has long paid.
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    MemescopeConfig stack = TestStack.config();
    String run = TestStack.uniqueName("bench");
    // -Dmemescope.bench.held-bytes=2047m: the fetch's budget of held bytes (64m by default) out of
    // the way, to compare.
    java.util.Map<String, String> overrides = new java.util.HashMap<>();
    String held = System.getProperty("memescope.bench.held-bytes");
    if (held != null) {
      overrides.put("ingest.fetch.held-bytes", held);
      System.out.println("ingest.fetch.held-bytes = " + held);
    }
    MemescopeConfig config =
        TestStack.load(
            with(
                overrides,
                "kafka.topics.crawl-urls.name",
                run + ".crawl.urls",
                "kafka.topics.ingest-indexed.name",
                run + ".indexed",
                "kafka.topics.ingest-rejects.name",
                run + ".rejects",
                "kafka.topics.takedowns.name",
                run + ".takedowns",
                "milvus.collection",
                run,
                "ingest.job-name",
                run,
                "ingest.fetch.allow-private-hosts",
                "[localhost]"));
    io.memescope.core.schema.Schema.apply(config);
    System.out.printf("generating %d images...%n", images);
    try (Corpus corpus = new Corpus(images, 0, 0, 42, false)) {
      List<byte[]> bytes = new ArrayList<>(corpus.good.values());

      // 1. The embedder alone.
      int batch = config.model().batchSize();
      double embedder;
      CpuMeter embedderCpu;
      try (ClipEncoder encoder =
          ClipEncoder.load(config.model().dir(), config.model().encoderOptions())) {
        encoder.embedImageBytes(bytes.subList(0, Math.min(200, bytes.size()))); // warm-up
        long start = System.nanoTime();
        embedderCpu = new CpuMeter();
        for (int i = 0; i < bytes.size(); i += batch) {
          encoder.embedImageBytes(bytes.subList(i, Math.min(i + batch, bytes.size())));
          progress("embedder alone", i + batch, bytes.size());
        }
        embedder = bytes.size() / ((System.nanoTime() - start) / 1e9);
        embedderCpu.stop();
      }
      System.out.printf(
          "%nembedder alone: %.1f images/s (batch %d, libtorch threads: %s), %.2f ms of CPU per"
              + " image, machine %.0f%% busy%n",
          embedder,
          batch,
          torchThreads(System.getenv(ModelSettings.TORCH_THREADS_ENV)),
          embedderCpu.cpuMillis() / bytes.size(),
          embedderCpu.busyShare() * 100);
      if (Boolean.getBoolean("memescope.bench.alone-only")) {
        return;
      }

      // 2. The job, end to end: running and idle first, then the URLs, timed from their
      // publication to the last image indexed.
      String tmThreadsEnv = environment(taskManagerPid(stack)).get(ModelSettings.TORCH_THREADS_ENV);
      System.out.printf("TaskManager's libtorch threads: %s%n", torchThreads(tmThreadsEnv));
      if (!java.util.Objects.equals(tmThreadsEnv, System.getenv(ModelSettings.TORCH_THREADS_ENV))) {
        System.out.println(
            "WARNING: the embedder alone ran with other libtorch threads than the TaskManager");
      }
      IngestJobs jobs = new IngestJobs(config);
      var submission =
          jobs.ensureRunning(Path.of(System.getProperty("memescope.jobJar", jobJar())));
      // Interrupted (Ctrl-C), the benchmark must not leave its job holding the cluster's slots.
      Thread cancel = new Thread(jobs::cancel);
      Runtime.getRuntime().addShutdownHook(cancel);
      FlinkRestClient rest = new FlinkRestClient(stack.flink().restUrl(), Duration.ofSeconds(10));
      Properties p = TestStack.consumerProperties(ByteArrayDeserializer.class);
      Set<String> indexed = new HashSet<>();
      long first = 0;
      long last = 0;
      long heapAt1000 = -1;
      long published;
      CpuMeter jobCpu;
      ProcessCpu byProcess;
      Map<Long, Map.Entry<String, Long>> tmThreads;
      try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
        consumer.subscribe(List.of(config.kafka().topic("ingest-indexed").name()));
        while (consumer.assignment().isEmpty()) {
          consumer.poll(Duration.ofMillis(200)); // joined, so no event can be missed
        }
        awaitTasksRunning(rest, submission.jobId());
        if (warmup > 0) {
          try (Corpus warm = new Corpus(warmup, 0, 0, 4242, false)) {
            IngestJobIT.publish(config, new ArrayList<>(warm.good.keySet()));
            Set<String> seen = new HashSet<>();
            long until = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (seen.size() < warmup && System.nanoTime() < until) {
              for (var r : consumer.poll(Duration.ofMillis(500))) {
                seen.add(Json.mapper().readTree(r.value()).path("url").asText());
              }
              progress("warm-up", seen.size(), warmup);
            }
            if (seen.size() < warmup) {
              throw new IllegalStateException("warm-up: " + seen.size() + " of " + warmup);
            }
          }
          System.out.println();
        }
        published = System.nanoTime();
        jobCpu = new CpuMeter();
        byProcess = new ProcessCpu(ProcessCpu.stackProcesses(stack.home()));
        tmThreads = ProcessCpu.threads(taskManagerPid(stack));
        IngestJobIT.publish(config, new ArrayList<>(corpus.good.keySet()));
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (indexed.size() < images && System.nanoTime() < deadline) {
          for (var r : consumer.poll(Duration.ofMillis(500))) {
            JsonNode e = Json.mapper().readTree(r.value());
            if (indexed.add(e.path("url").asText())) {
              last = System.nanoTime();
              if (first == 0) {
                first = last;
              }
            }
          }
          progress("ingest job", indexed.size(), images);
          if (heapAt1000 < 0 && indexed.size() >= 1000) {
            heapAt1000 = heapAfterGc(stack);
          }
        }
      }
      jobCpu.stop();
      Map<String, Long> processTicks = byProcess.since();
      Map<String, Long> tmByThread =
          ProcessCpu.byThreadName(tmThreads, ProcessCpu.threads(taskManagerPid(stack)));
      long heapAtEnd = heapAfterGc(stack);
      // Indexed events come when a checkpoint commits (every ingest.checkpoint-interval), in
      // bursts: from the publication to the last one counts every image's work and at most one
      // interval of commit delay at the end; from the first event to the last (the figure before
      // 2026-12-02) leaves out all the work done before the first commit.
      double job = indexed.size() / ((last - published) / 1e9);
      double afterFirstCommit = (indexed.size() - 1) / ((last - first) / 1e9);
      System.out.printf(
          "%n%nimages %d (after %d warm-up images), indexed %d%nembedder alone: %.1f images/s%ningest job end to end,"
              + " publication to last indexed: %.1f images/s (%.2fx) in %.1f s; first indexed"
              + " after %.1f s%n(first indexed to last: %.1f images/s, %.2fx)%nTaskManager heap"
              + " after a full GC: %.0f MB after 1,000 images, %.0f MB after %d%n",
          images,
          warmup,
          indexed.size(),
          embedder,
          job,
          job / embedder,
          (last - published) / 1e9,
          (first - published) / 1e9,
          afterFirstCommit,
          afterFirstCommit / embedder,
          heapAt1000 / 1e6,
          heapAtEnd / 1e6,
          indexed.size());
      System.out.printf(
          "machine CPU (all processes, %d cores): embedder alone %.0f%% busy, %.2f ms of CPU per"
              + " image; ingest job %.0f%% busy, %.2f ms of CPU per image%n",
          Runtime.getRuntime().availableProcessors(),
          embedderCpu.busyShare() * 100,
          embedderCpu.cpuMillis() / bytes.size(),
          jobCpu.busyShare() * 100,
          jobCpu.cpuMillis() / indexed.size());
      // Where the job's CPU went: each service of the stack with its child processes, the
      // benchmark's own process (serving the images, publishing, consuming), and the rest.
      System.out.println("CPU per indexed image, by process:");
      long named = 0;
      for (var e : processTicks.entrySet()) {
        named += e.getValue();
        System.out.printf("  %-44s %6.2f ms%n", e.getKey(), e.getValue() * 10.0 / indexed.size());
      }
      System.out.printf(
          "  %-44s %6.2f ms%n",
          "everything else on the machine", (jobCpu.cpuMillis() - named * 10.0) / indexed.size());
      System.out.println("the TaskManager's CPU per indexed image, by thread name (the top 15):");
      tmByThread.entrySet().stream()
          .limit(15)
          .forEach(
              e ->
                  System.out.printf(
                      "  %-44s %6.2f ms%n", e.getKey(), e.getValue() * 10.0 / indexed.size()));
      jobs.cancel();
      Runtime.getRuntime().removeShutdownHook(cancel);
      System.out.println("job " + submission.jobId() + " " + rest.jobState(submission.jobId()));
    }
    System.exit(0); // client libraries may leave non-daemon threads behind
  }

  /** The whole machine's CPU time between its creation and {@link #stop}, from /proc/stat. */
  private static final class CpuMeter {
    private final long[] start = ticks();
    private long[] end;

    void stop() {
      end = ticks();
    }

    /** Busy share of all cores, 0..1. */
    double busyShare() {
      return (double) (end[0] - start[0]) / (end[1] - start[1]);
    }

    /** Busy CPU time of all cores together, in milliseconds. */
    double cpuMillis() {
      return (end[0] - start[0]) * 1000.0 / 100; // USER_HZ is 100 on Linux
    }

    /** {busy, total} ticks over all cores. */
    private static long[] ticks() {
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        long total = 0;
        for (int i = 1; i <= 8 && i < f.length; i++) { // guest time is already in user time
          long v = Long.parseLong(f[i]);
          total += v;
          if (i != 4 && i != 5) { // idle, iowait
            busy += v;
          }
        }
        return new long[] {busy, total};
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** Waits until every task of the job runs (its Kafka sources are then reading). */
  private static void awaitTasksRunning(FlinkRestClient rest, String jobId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode vertices = rest.job(jobId).path("vertices");
      boolean running = vertices.size() > 0;
      for (JsonNode v : vertices) {
        running &= "RUNNING".equals(v.path("status").asText());
      }
      if (running) {
        Thread.sleep(2000); // the sources' first fetch
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("the job's tasks did not all start within 2 minutes");
  }

  private static String jobJar() {
    return IngestJobs.jobJar(Path.of("flink-jobs/target")).toString();
  }

  private static String torchThreads(String env) {
    return env == null ? "libtorch's default, one per core" : env;
  }

  /** A process's environment, from /proc. */
  private static Map<String, String> environment(long pid) throws java.io.IOException {
    Map<String, String> env = new java.util.HashMap<>();
    byte[] raw = java.nio.file.Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
    for (String entry : new String(raw, java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return env;
  }

  private static long taskManagerPid(MemescopeConfig stack) throws java.io.IOException {
    return Long.parseLong(
        Files.readString(stack.home().resolve("run/flink-taskmanager-0.pid")).strip());
  }

  /** The TaskManager's heap in use right after a full GC (jcmd on its pid). */
  private static long heapAfterGc(MemescopeConfig stack) throws Exception {
    long pid = taskManagerPid(stack);
    Process gc =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid),
                "GC.run")
            .redirectErrorStream(true)
            .start();
    gc.getInputStream().readAllBytes();
    gc.waitFor();
    Process heap =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid),
                "GC.heap_info")
            .redirectErrorStream(true)
            .start();
    String info = new String(heap.getInputStream().readAllBytes());
    heap.waitFor();
    // One line per heap ("garbage-first heap   total 1048576K, used 123456K [...]") or per
    // generation (" PSYoungGen      total 194560K, used 30537K [...]", " ParOldGen ..."); not
    // Metaspace, which is not the heap.
    var m =
        java.util.regex.Pattern.compile(
                "(?m)^\\s*(garbage-first heap|PSYoungGen|ParOldGen|def new generation|tenured"
                    + " generation)\\s+total \\d+K, used (\\d+)K")
            .matcher(info);
    long used = 0;
    boolean found = false;
    while (m.find()) {
      used += Long.parseLong(m.group(2)) * 1024;
      found = true;
    }
    return found ? used : -1;
  }

  private static long lastPrint;

  private static void progress(String what, int done, int total) {
    long now = System.nanoTime();
    if (now - lastPrint > 2_000_000_000L || done >= total) {
      lastPrint = now;
      System.out.printf("\r%-16s %6d / %d", what, Math.min(done, total), total);
      System.out.flush();
    }
  }
}
