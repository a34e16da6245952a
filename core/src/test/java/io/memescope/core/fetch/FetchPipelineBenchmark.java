package io.memescope.core.fetch;

import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import io.memescope.core.embed.PilImage;
import io.memescope.core.image.ImageAnalysis;
import io.memescope.core.image.PerceptualHash;
import io.memescope.core.image.Thumbnailer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Java side of {@code infra/bench/fetch-throughput.sh}: the ingest job's per-image path
 * (flink-jobs' {@code FetchFunction} then {@code Analyze}) over a list of URLs, timed. Not a unit
 * test: it needs a server with the generated corpus.
 *
 * <p>Each image is fetched by {@link ImageFetcher} (async, at most {@code --in-flight} images taken
 * but not yet analysed, as the job's async operator's capacity bounds them), then analysed on a
 * pool of {@code --threads} threads exactly as {@code Analyze} does: SHA-256 of the bytes, and an
 * {@link ImageAnalysis} (decoded with the default pixel limit, a {@link Thumbnailer#SMALL} and a
 * {@link Thumbnailer#LARGE} JPEG thumbnail, and the {@link PerceptualHash}). Nothing is written
 * anywhere: the job hands these to the de-duplicator and the index.
 *
 * <p>A warm-up pass (doing what the first timed pass does) over the list (or its first {@code
 * --warmup} URLs) comes first, so that the JIT has compiled the decoders and scalers and the
 * fetcher's connections are open; then one timed pass per entry of {@code --passes}, in order:
 *
 * <ul>
 *   <li>{@code full}: the job's path, as above;
 *   <li>{@code small}: only what img2dataset also does with each image: decode, SHA-256 and one
 *       thumbnail ({@link Thumbnailer#SMALL}), for a like-for-like comparison; not the job's path;
 *   <li>{@code fetch}: fetching alone, the ceiling that the server, the loopback and the fetcher
 *       put on the others.
 * </ul>
 *
 * <p>Each pass prints a line {@code RESULT LABEL-PASS OK FAILED SECONDS IMAGES_PER_S OTHERS} for
 * the script to read, where OTHERS is the share of the machine's CPU time that processes other than
 * this one and the server (whose id {@code --server-pid} gives) used during the pass. It also
 * prints the time each stage took, elapsed on the analysis threads (so CPU time, plus any wait for
 * a core when other processes want one) and summed over them.
 *
 * <pre>
 * java -cp core/target/test-classes:core/target/classes:... \
 *   io.memescope.core.fetch.FetchPipelineBenchmark URLS_FILE [--in-flight 64] [--per-host N]
 *   [--threads NPROC] [--warmup ALL|N] [--passes full[,small][,fetch]] [--label ours]
 *   [--server-pid PID]
 * </pre>
 */
public final class FetchPipelineBenchmark {
  /** The ingest defaults (memescope-defaults.conf, ingest.fetch and model.max-pixels). */
  static final int DEFAULT_IN_FLIGHT = 64;

  static final long MAX_BYTES = 32L * 1024 * 1024;
  static final long MAX_PIXELS = 64_000_000L;

  /** What a pass does with each image. */
  enum Mode {
    FULL,
    SMALL,
    FETCH
  }

  private static final String[] STAGES = {
    "decode", "sha256", "thumbnails", "phash", "decode+phash+thumbnails"
  };

  private FetchPipelineBenchmark() {}

  /** One pass's counts and times. */
  record Pass(
      int ok,
      int failed,
      long wallNanos,
      long bytes,
      long[] stageNanos,
      long fetchWaitNanos,
      long checksum,
      Map<String, Integer> failures) {
    double imagesPerSecond() {
      return ok / (wallNanos / 1e9);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      usage();
    }
    Path urlsFile = Path.of(args[0]);
    int inFlight = DEFAULT_IN_FLIGHT;
    int perHost = -1;
    int threads = Runtime.getRuntime().availableProcessors();
    int warmup = -1;
    List<Mode> passes = List.of(Mode.FULL);
    String label = "ours";
    long serverPid = -1;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--in-flight" -> inFlight = Integer.parseInt(args[++i]);
        case "--per-host" -> perHost = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--warmup" -> {
          String n = args[++i];
          warmup = n.equals("ALL") ? -1 : Integer.parseInt(n);
        }
        case "--passes" ->
            passes =
                Arrays.stream(args[++i].split(","))
                    .map(m -> Mode.valueOf(m.strip().toUpperCase(Locale.ROOT)))
                    .toList();
        case "--label" -> label = args[++i];
        case "--server-pid" -> serverPid = Long.parseLong(args[++i]);
        default -> usage();
      }
    }
    if (perHost < 1) {
      // The benchmark's one server stands for the many hosts a crawl fetches from; the job's cap
      // of a quarter of the concurrency per host would leave three quarters of it unused here.
      perHost = inFlight;
    }
    List<String> urls =
        Files.readAllLines(urlsFile, StandardCharsets.UTF_8).stream()
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .toList();
    if (urls.isEmpty()) {
      System.err.println("no URLs in " + urlsFile);
      System.exit(2);
    }
    FetchSettings settings =
        FetchSettings.defaults()
            .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30))
            .withMaxBytes(MAX_BYTES)
            .withMaxRedirects(5)
            .withAllowedPrivateHosts(Set.of("127.0.0.1", "localhost"))
            .withConcurrency(inFlight, perHost);
    System.out.printf(
        Locale.ROOT,
        "%s: %d URLs, %d in flight (%d per host), %d analysis threads, passes %s, %d processors,"
            + " max heap %d MiB%n",
        label,
        urls.size(),
        inFlight,
        perHost,
        threads,
        passes,
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "bench-analyze");
              t.setDaemon(true);
              return t;
            });
    try (ImageFetcher fetcher = new ImageFetcher(settings)) {
      List<String> warm = warmup < 0 ? urls : urls.subList(0, Math.min(warmup, urls.size()));
      if (!warm.isEmpty()) {
        Mode first = passes.get(0);
        Pass w = pass(fetcher, pool, warm, inFlight, first, label + " warm-up");
        report(label + " warm-up", w, first, threads);
      }
      for (Mode mode : passes) {
        System.gc();
        String name = label + "-" + mode.name().toLowerCase(Locale.ROOT);
        CpuUse before = CpuUse.now(serverPid);
        Pass p = pass(fetcher, pool, urls, inFlight, mode, name);
        double others = CpuUse.now(serverPid).othersShare(before, p.wallNanos());
        report(name, p, mode, threads);
        System.out.printf(
            Locale.ROOT,
            "  other processes used %.0f%% of the machine's CPU time meanwhile%n",
            100 * others);
        System.out.printf(
            Locale.ROOT,
            "RESULT %s %d %d %.3f %.1f %.3f%n",
            name,
            p.ok(),
            p.failed(),
            p.wallNanos() / 1e9,
            p.imagesPerSecond(),
            others);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void usage() {
    System.err.println(
        "usage: FetchPipelineBenchmark URLS_FILE [--in-flight N] [--per-host N] [--threads P]"
            + " [--warmup ALL|N] [--passes full,small,fetch] [--label NAME] [--server-pid PID]");
    System.exit(2);
  }

  /** Fetches and analyses every URL once; returns when the last image is done. */
  static Pass pass(
      ImageFetcher fetcher,
      ExecutorService pool,
      List<String> urls,
      int inFlight,
      Mode mode,
      String what)
      throws InterruptedException {
    Semaphore slots = new Semaphore(inFlight);
    CountDownLatch done = new CountDownLatch(urls.size());
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicLong bytes = new AtomicLong();
    AtomicLong checksum = new AtomicLong();
    LongAdder fetchWait = new LongAdder();
    LongAdder[] stages = new LongAdder[STAGES.length];
    for (int i = 0; i < stages.length; i++) {
      stages[i] = new LongAdder();
    }
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    ImageDecoder decoder = new ImageDecoder(MAX_PIXELS); // stateless, as in Analyze
    Progress progress = new Progress(what, urls.size(), ok, failed);
    long start = System.nanoTime();
    progress.start();
    for (String url : urls) {
      long waitStart = System.nanoTime();
      slots.acquire();
      fetchWait.add(System.nanoTime() - waitStart);
      fetcher
          .fetch(url)
          .whenComplete(
              (outcome, error) -> {
                if (outcome instanceof FetchOutcome.Fetched f) {
                  bytes.addAndGet(f.bytes().length);
                  if (mode == Mode.FETCH) {
                    ok.incrementAndGet();
                    slots.release();
                    done.countDown();
                    return;
                  }
                  // Off the fetcher's threads, as Flink hands elements to the next operator.
                  pool.execute(
                      () -> {
                        try {
                          long sum = analyze(decoder, f.bytes(), mode, stages);
                          checksum.addAndGet(sum);
                          ok.incrementAndGet();
                        } catch (ImageDecodeException | RuntimeException | OutOfMemoryError e) {
                          failed.incrementAndGet();
                          failures.merge(
                              "decode: " + e.getClass().getSimpleName(), 1, Integer::sum);
                        } finally {
                          slots.release();
                          done.countDown();
                        }
                      });
                } else {
                  failed.incrementAndGet();
                  String why =
                      outcome instanceof FetchOutcome.Rejected r
                          ? "fetch: " + r.reason().code()
                          : "fetch: " + error;
                  failures.merge(why, 1, Integer::sum);
                  slots.release();
                  done.countDown();
                }
              });
    }
    done.await();
    long wall = System.nanoTime() - start;
    progress.stop();
    long[] stageNanos = new long[STAGES.length];
    for (int i = 0; i < stages.length; i++) {
      stageNanos[i] = stages[i].sum();
    }
    return new Pass(
        ok.get(),
        failed.get(),
        wall,
        bytes.get(),
        stageNanos,
        fetchWait.sum(),
        checksum.get(),
        Map.copyOf(failures));
  }

  /**
   * What {@code Analyze.processElement} does with fetched bytes, stage by stage (in {@link
   * Mode#SMALL} only decoding, SHA-256 and the small thumbnail); returns a number derived from
   * every result so that none of the work can be optimised away.
   */
  static long analyze(ImageDecoder decoder, byte[] bytes, Mode mode, LongAdder[] stages)
      throws ImageDecodeException {
    long t0 = System.nanoTime();
    PilImage image = mode == Mode.SMALL ? decoder.decode(bytes) : null;
    long t1 = System.nanoTime();
    byte[] sha = sha256(bytes);
    String id = HexFormat.of().formatHex(sha, 0, 16);
    String hex = HexFormat.of().formatHex(sha);
    long t2 = System.nanoTime();
    if (mode == Mode.SMALL) {
      Thumbnailer.Thumbnail small = Thumbnailer.of(image, Thumbnailer.SMALL);
      long t3 = System.nanoTime();
      stages[0].add(t1 - t0);
      stages[1].add(t2 - t1);
      stages[2].add(t3 - t2);
      return id.hashCode() + hex.length() + small.data().length + image.width();
    }
    // As Analyze does: one ImageAnalysis, both sizes, the small one scaled from the large one.
    ImageAnalysis analysis =
        ImageAnalysis.of(decoder, bytes, List.of(Thumbnailer.SMALL, Thumbnailer.LARGE));
    long t3 = System.nanoTime();
    stages[1].add(t2 - t1);
    stages[4].add((t1 - t0) + (t3 - t2));
    return analysis.perceptualHash()
        + id.hashCode()
        + hex.length()
        + analysis.thumbnails().get(0).data().length
        + analysis.thumbnails().get(1).data().length
        + analysis.width();
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void report(String what, Pass p, Mode mode, int threads) {
    double seconds = p.wallNanos() / 1e9;
    System.out.printf(
        Locale.ROOT,
        "%s: %d ok, %d failed in %.2f s = %.1f images/s (%.1f MB/s fetched)%n",
        what,
        p.ok(),
        p.failed(),
        seconds,
        p.imagesPerSecond(),
        p.bytes() / 1e6 / seconds);
    if (!p.failures().isEmpty()) {
      System.out.println("  failures: " + p.failures());
    }
    if (mode == Mode.FETCH || p.ok() == 0) {
      return;
    }
    long total = 0;
    for (long n : p.stageNanos()) {
      total += n;
    }
    StringBuilder line =
        new StringBuilder("  per image by stage (elapsed on the analysis threads, summed):");
    for (int i = 0; i < STAGES.length; i++) {
      if (p.stageNanos()[i] == 0) {
        continue;
      }
      line.append(
          String.format(
              Locale.ROOT,
              " %s %.2f ms (%.0f%%),",
              STAGES[i],
              p.stageNanos()[i] / 1e6 / p.ok(),
              100.0 * p.stageNanos()[i] / total));
    }
    line.append(String.format(Locale.ROOT, " total %.2f ms", total / 1e6 / p.ok()));
    System.out.println(line);
    System.out.printf(
        Locale.ROOT,
        "  analysis busy %.0f%% of %.2f s x threads; producer waited %.2f s for a free slot;"
            + " checksum %x%n",
        100.0 * total / (p.wallNanos() * (double) threads),
        seconds,
        p.fetchWaitNanos() / 1e9,
        p.checksum());
  }

  /**
   * CPU time so far: of the whole machine (busy ticks in {@code /proc/stat}), of this process, and
   * of the server process, so that a pass can say how much of the machine others took meanwhile.
   * Linux only; zeros elsewhere.
   */
  record CpuUse(double machineSeconds, double ownSeconds, double serverSeconds) {
    /** USER_HZ, the unit of /proc's tick counts: 100 on every Linux architecture in use. */
    static final double TICKS_PER_SECOND = 100;

    static CpuUse now(long serverPid) {
      double machine = 0;
      double server = 0;
      try {
        String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        // user nice system idle iowait irq softirq steal: all but idle and iowait are busy
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
          busy += Long.parseLong(cpu[i]);
        }
        machine = busy / TICKS_PER_SECOND;
        if (serverPid > 0) {
          String stat = Files.readString(Path.of("/proc/" + serverPid + "/stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          server = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        }
      } catch (java.io.IOException | RuntimeException e) {
        // not Linux, or the server is gone: no figure
      }
      var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      double own =
          os instanceof com.sun.management.OperatingSystemMXBean sun
              ? sun.getProcessCpuTime() / 1e9
              : 0;
      return new CpuUse(machine, own, server);
    }

    /** The share of all cores' time since {@code before} used by neither us nor the server. */
    double othersShare(CpuUse before, long wallNanos) {
      double others =
          (machineSeconds - before.machineSeconds)
              - (ownSeconds - before.ownSeconds)
              - (serverSeconds - before.serverSeconds);
      double capacity = wallNanos / 1e9 * Runtime.getRuntime().availableProcessors();
      return Math.max(0, others) / capacity;
    }
  }

  /** Prints the count done every two seconds on standard error. */
  private static final class Progress {
    private final String what;
    private final int total;
    private final AtomicInteger ok;
    private final AtomicInteger failed;
    private Thread thread;

    Progress(String what, int total, AtomicInteger ok, AtomicInteger failed) {
      this.what = what;
      this.total = total;
      this.ok = ok;
      this.failed = failed;
    }

    void start() {
      long begin = System.nanoTime();
      Thread t =
          new Thread(
              () -> {
                try {
                  while (true) {
                    TimeUnit.SECONDS.sleep(2);
                    int n = ok.get() + failed.get();
                    System.err.printf(
                        Locale.ROOT,
                        "  %s: %d/%d (%.0f/s)%n",
                        what,
                        n,
                        total,
                        n / ((System.nanoTime() - begin) / 1e9));
                  }
                } catch (InterruptedException e) {
                  // stopped
                }
              },
              "bench-progress");
      t.setDaemon(true);
      t.start();
      thread = t;
    }

    void stop() {
      thread.interrupt();
    }
  }
}
