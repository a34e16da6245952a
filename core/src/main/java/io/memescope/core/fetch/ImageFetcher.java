package io.memescope.core.fetch;

import io.memescope.core.fetch.FetchOutcome.Fetched;
import io.memescope.core.fetch.FetchOutcome.Rejected;
import io.memescope.core.net.AddressGuard;
import io.memescope.core.net.BlockedAddressException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ProtocolException;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Fetches image bytes for the ingest job, which calls it from Flink's async I/O operator: {@link
 * #fetch} returns at once and never blocks the caller, is safe to call from any number of threads,
 * and its future always completes normally, with {@link Fetched} or a {@link Rejected} that says
 * why ({@link RejectReason}) (or {@link FetchOutcome.Deferred}, where the caller's {@link BodyRoom}
 * has no room for the body), never exceptionally.
 *
 * <p>Every URL comes from the internet, so the fetcher trusts nothing about the answer:
 *
 * <ul>
 *   <li>Connections go through the {@link AddressGuard}, as OkHttp's DNS, so every hop of a
 *       redirect and every address a name resolves to is checked: loopback, private, link-local and
 *       metadata addresses are {@link RejectReason#BLOCKED_ADDRESS} unless the host is in {@link
 *       FetchSettings#allowedPrivateHosts()}. OkHttp asks no DNS for a host written as an address
 *       ({@code http://127.0.0.1/}, {@code http://[::1]/}, {@code http://2130706433/}), so those
 *       are checked by {@link AddressGuard#checkLiteral} on every hop. No proxy is used, as through
 *       one the guard would only see the proxy's address.
 *   <li>Redirects are followed here, not by OkHttp, so that a loop is recognised as soon as a URL
 *       comes round again and a chain longer than {@link FetchSettings#maxRedirects()} ends as
 *       {@link RejectReason#REDIRECT_LOOP}; a redirect to anything but http(s) is {@link
 *       RejectReason#BAD_URL}.
 *   <li>The connect and read timeouts bound each wait and the call timeout the whole fetch, body
 *       included: a server that drips a byte at a time ends as {@link RejectReason#TIMEOUT}. It
 *       counts from the moment the first request starts; waiting for a free slot in the dispatcher
 *       does not count (the ingest job's fetch function has a backstop of its own that does).
 *   <li>A Content-Length over {@link FetchSettings#maxBytes()} is {@link RejectReason#TOO_LARGE}
 *       before a byte is read; a body without one is read into a buffer that never exceeds the cap
 *       and abandoned as soon as it would (see {@link CappedRead}). With OkHttp's transparent gzip
 *       the cap applies to the inflated bytes, so a gzip bomb is capped too.
 *   <li>What the bytes are is decided by their magic numbers ({@link ImageSniffer}), not by the
 *       declared Content-Type: an HTML page served as {@code image/jpeg} is {@link
 *       RejectReason#NOT_AN_IMAGE}, an SVG {@link RejectReason#UNSUPPORTED_FORMAT}. Whether the
 *       image decodes is not checked here: a truncated JPEG is fetched, and decoding rejects it.
 *   <li>An answer whose {@code X-Robots-Tag} asks all crawlers, or ours (the User-Agent's first
 *       product token, {@code memescope}), not to index it ({@link
 *       FetchSettings#refusedRobotsDirectives()}: {@code noindex}, {@code noai}, ...) is {@link
 *       RejectReason#ROBOTS_TAG} before its body is read, as img2dataset does by default.
 * </ul>
 *
 * <p><b>Threads.</b> HTTP requests are enqueued on OkHttp's dispatcher. The body is read in
 * OkHttp's callback, on the dispatcher's own thread: that thread blocks while the body arrives, but
 * for no longer than the call timeout, and the dispatcher's pool grows on demand (as OkHttp's
 * default one does) so a slow body never delays another request. A call counts against {@link
 * FetchSettings#maxRequests()} and {@link FetchSettings#maxRequestsPerHost()} until its callback
 * returns, so these two also bound the body reads in progress and the threads doing them. Handing
 * the body to another executor would only add a queue in which bodies wait with their connections
 * open. {@code file:} URLs are read on a small pool of the fetcher's own. Futures are completed on
 * these threads, so work chained to them should be short or use the {@code *Async} variants; a
 * caller cancelling its future cancels the request.
 *
 * <p><b>Files.</b> A {@code file:} URL is read only if its path, with symbolic links resolved
 * ({@link Path#toRealPath}), lies inside one of {@link FetchSettings#allowedFileRoots()} (also
 * resolved) and is a regular file: {@code ..} segments, links leading out of a root, devices and
 * FIFOs are {@link RejectReason#FILE_NOT_ALLOWED}. The same cap and sniffing apply. A missing or
 * unreadable file is {@link RejectReason#NETWORK}, the reason for I/O failures.
 */
public final class ImageFetcher implements AutoCloseable {
  /** What we ask for; a server that negotiates then prefers a format we decode. */
  static final String ACCEPT =
      "image/webp,image/png,image/jpeg,image/gif,image/bmp;q=0.9,image/*;q=0.5,*/*;q=0.1";

  /** Threads reading {@code file:} URLs: local reads are quick, and more would only contend. */
  static final int FILE_READERS = 2;

  /**
   * How long after the call timeout a fetch is given up regardless. OkHttp's own call timeout
   * normally ends it first, with a more precise detail; this bounds everything else.
   */
  static final Duration GRACE = Duration.ofSeconds(1);

  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

  private final FetchSettings settings;

  /** Our name in {@code X-Robots-Tag} headers addressed to one crawler. */
  private final String crawler;

  private final ThreadPoolExecutor dispatcherExecutor;
  private final ThreadPoolExecutor fileReaders;
  private final OkHttpClient http;
  private volatile boolean closed;

  public ImageFetcher(FetchSettings settings) {
    this.settings = settings;
    this.crawler = RobotsTag.crawler(settings.userAgent());
    // Like OkHttp's default executor (threads on demand, none idle for long), but with daemon
    // threads of recognisable names, and ours to shut down on close.
    this.dispatcherExecutor =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            daemonThreads("memescope-fetch-http-"));
    this.fileReaders =
        new ThreadPoolExecutor(
            FILE_READERS,
            FILE_READERS,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            daemonThreads("memescope-fetch-file-"));
    Dispatcher dispatcher = new Dispatcher(dispatcherExecutor);
    dispatcher.setMaxRequests(settings.maxRequests());
    dispatcher.setMaxRequestsPerHost(settings.maxRequestsPerHost());
    this.http =
        new OkHttpClient.Builder()
            .dispatcher(dispatcher)
            .connectionPool(
                new ConnectionPool(Math.max(5, settings.maxRequests()), 1, TimeUnit.MINUTES))
            .dns(new AddressGuard(settings.allowedPrivateHosts()))
            .proxy(Proxy.NO_PROXY)
            .connectTimeout(settings.connectTimeout())
            .readTimeout(settings.readTimeout())
            .writeTimeout(settings.readTimeout())
            .callTimeout(settings.callTimeout())
            .followRedirects(false)
            .followSslRedirects(false)
            .addInterceptor(
                chain -> {
                  Attempt attempt = chain.request().tag(Attempt.class);
                  if (attempt != null) {
                    attempt.started();
                  }
                  AddressGuard.checkLiteral(
                      chain.request().url().host(), settings.allowedPrivateHosts());
                  return chain.proceed(chain.request());
                })
            .build();
  }

  public FetchSettings settings() {
    return settings;
  }

  /**
   * Fetches {@code url} ({@code http}, {@code https} or {@code file}). Returns at once; the future
   * completes normally on one of the fetcher's threads, within the call timeout (and {@link
   * #GRACE}) of the fetch starting.
   */
  public CompletableFuture<FetchOutcome> fetch(String url) {
    return fetch(url, declared -> true);
  }

  /**
   * Where the caller counts the bodies it holds: asked, before a body is read, whether there is
   * room for it. Called at most once a fetch, on one of the fetcher's threads.
   */
  @FunctionalInterface
  public interface BodyRoom {
    /**
     * Whether to read a body of {@code declared} bytes (its Content-Length, or a file's size; -1
     * where the answer declares none) now; false makes the fetch {@link FetchOutcome.Deferred}.
     */
    boolean take(long declared);
  }

  /**
   * {@link #fetch(String)}, reading the body only if {@code room} takes it: otherwise the outcome
   * is {@link FetchOutcome.Deferred}, with nothing read past the headers.
   */
  public CompletableFuture<FetchOutcome> fetch(String url, BodyRoom room) {
    Attempt attempt = new Attempt(url, room);
    try {
      if (closed) {
        attempt.reject(RejectReason.NETWORK, "the fetcher is closed");
        return attempt.result;
      }
      String text = url == null ? "" : url.strip();
      int colon = text.indexOf(':');
      String scheme = colon > 0 ? text.substring(0, colon).toLowerCase(Locale.ROOT) : "";
      switch (scheme) {
        case "http", "https" -> {
          HttpUrl parsed = HttpUrl.parse(text);
          if (parsed == null) {
            attempt.reject(RejectReason.BAD_URL, "not a valid " + scheme + " URL: " + url);
          } else {
            attempt.visited.add(parsed);
            request(attempt, parsed);
          }
        }
        case "file" -> startFile(attempt, text);
        case "" -> attempt.reject(RejectReason.BAD_URL, "not a URL: " + url);
        default ->
            attempt.reject(RejectReason.BAD_URL, "unsupported scheme \"" + scheme + "\" in " + url);
      }
    } catch (RuntimeException e) {
      attempt.reject(RejectReason.NETWORK, "cannot fetch " + url + ": " + e);
    }
    return attempt.result;
  }

  /**
   * Cancels the requests in flight (their futures complete as {@link RejectReason#NETWORK}), shuts
   * the dispatcher's and the file readers' executors down and closes idle connections. Later
   * fetches are rejected at once. Does not wait.
   */
  @Override
  public void close() {
    closed = true;
    http.dispatcher().cancelAll();
    dispatcherExecutor.shutdown();
    fileReaders.shutdown();
    http.connectionPool().evictAll();
  }

  /**
   * Applies the {@link AddressGuard}'s rule to a host written as an IP address. OkHttp connects to
   * such a host without asking its {@link okhttp3.Dns} (for what its {@code canParseAsIpAddress}
   * accepts, the pattern below), so the guard alone would let {@code http://127.0.0.1/} and {@code
   * http://169.254.169.254/} through. Runs in an interceptor, that is for every hop.
   */
  /** For tests: the executor OkHttp's dispatcher runs calls on. */
  ExecutorService dispatcherExecutor() {
    return dispatcherExecutor;
  }

  // ---------------------------------------------------------------- HTTP

  private void request(Attempt attempt, HttpUrl url) {
    Request request =
        new Request.Builder()
            .url(url)
            .header("User-Agent", settings.userAgent())
            .header("Accept", ACCEPT)
            .tag(Attempt.class, attempt)
            .build();
    Call call = http.newCall(request);
    long remaining = attempt.remainingNanos();
    if (remaining <= 0) {
      attempt.reject(RejectReason.TIMEOUT, timeoutDetail(url));
      return;
    }
    if (remaining < Long.MAX_VALUE) {
      call.timeout().timeout(remaining, TimeUnit.NANOSECONDS); // later hops share the first's
    }
    attempt.call.set(call);
    if (attempt.result.isDone()) { // cancelled or timed out meanwhile
      call.cancel();
      return;
    }
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call call, IOException e) {
            attempt.reject(failure(attempt, url, e));
          }

          @Override
          public void onResponse(Call call, Response response) {
            Answer answer;
            try (response) {
              answer = respond(call, response);
            } catch (Refusal r) {
              attempt.reject(r.reason(), r.detail());
              return;
            } catch (NoRoom n) {
              attempt.defer(n.declared);
              return;
            } catch (IOException e) {
              attempt.reject(failure(attempt, url, e));
              return;
            } catch (RuntimeException e) {
              attempt.reject(RejectReason.NETWORK, "GET " + url + " failed: " + e);
              return;
            }
            // The response is closed by now, so its connection goes back to the pool first.
            if (answer.redirect() != null) {
              follow(attempt, answer.redirect());
            } else {
              attempt.fetched(answer.image());
            }
          }
        });
  }

  /** The caller's {@link BodyRoom} has no room for this body now. */
  private static final class NoRoom extends Exception {
    final long declared;

    NoRoom(long declared) {
      super(null, null, false, false);
      this.declared = declared;
    }
  }

  /** An image, or where a redirect leads. */
  private record Answer(HttpUrl redirect, Fetched image) {}

  /**
   * The image in a response, or the URL a redirect leads to. Runs on a dispatcher thread and reads
   * the body there (see the class comment).
   */
  private Answer respond(Call call, Response response) throws IOException, Refusal, NoRoom {
    Attempt attempt = response.request().tag(Attempt.class);
    HttpUrl here = response.request().url();
    int code = response.code();
    if (REDIRECTS.contains(code)) {
      String location = response.header("Location");
      if (location == null) {
        throw new Refusal(
            RejectReason.HTTP_STATUS, "GET " + here + " answered " + code + " without a Location");
      }
      HttpUrl next = here.resolve(location);
      if (next == null) {
        throw new Refusal(
            RejectReason.BAD_URL,
            "GET " + here + " redirects to " + location + ", which is not an http(s) URL");
      }
      return new Answer(next, null);
    }
    if (code < 200 || code > 299) {
      throw new Refusal(RejectReason.HTTP_STATUS, "GET " + here + " answered " + code);
    }
    String contentType = response.header("Content-Type");
    ResponseBody body = response.body();
    long declared = body == null ? 0 : body.contentLength();
    byte[] bytes;
    try {
      Optional<String> robots =
          RobotsTag.refused(
              response.headers("X-Robots-Tag"), crawler, settings.refusedRobotsDirectives());
      if (robots.isPresent()) {
        throw new Refusal(
            RejectReason.ROBOTS_TAG,
            "GET " + here + " answered with X-Robots-Tag " + robots.get() + ": not to be indexed");
      }
      if (declared > settings.maxBytes()) {
        throw new Refusal(
            RejectReason.TOO_LARGE,
            "GET "
                + here
                + " declares "
                + declared
                + " bytes, over the cap of "
                + settings.maxBytes());
      }
      if (declared != 0 && !attempt.room.take(declared)) {
        throw new NoRoom(declared);
      }
      bytes =
          declared == 0
              ? new byte[0]
              : CappedRead.read(
                  body.byteStream(),
                  settings.maxBytes(),
                  declared,
                  head -> sniff(head, "GET " + here, contentType),
                  "GET " + here);
    } catch (Refusal | NoRoom r) {
      // Drop the connection: closing the response would otherwise drain the rest of the body, for
      // up to 100 ms, to reuse it, which for a 50 MB answer is tens of megabytes read for nothing.
      call.cancel();
      throw r;
    }
    if (bytes.length == 0) {
      throw new Refusal(RejectReason.EMPTY, "GET " + here + " answered " + code + " with no bytes");
    }
    String format = sniff(bytes, "GET " + here, contentType);
    return new Answer(null, new Fetched(attempt.url, here.toString(), bytes, format, contentType));
  }

  private void follow(Attempt attempt, HttpUrl next) {
    if (!attempt.visited.add(next)) {
      attempt.reject(RejectReason.REDIRECT_LOOP, "redirect loop: " + chain(attempt.visited, next));
      return;
    }
    if (attempt.visited.size() - 1 > settings.maxRedirects()) {
      attempt.reject(
          RejectReason.REDIRECT_LOOP,
          "more than " + settings.maxRedirects() + " redirects: " + chain(attempt.visited, null));
      return;
    }
    request(attempt, next);
  }

  private static String chain(Set<HttpUrl> visited, HttpUrl again) {
    List<String> urls = new ArrayList<>();
    visited.forEach(u -> urls.add(u.toString()));
    if (again != null) {
      urls.add(again.toString());
    }
    return String.join(" -> ", urls);
  }

  /** The rejection for a failed request or body read. */
  private Rejected failure(Attempt attempt, HttpUrl url, IOException e) {
    String what = "GET " + url;
    if (closed) {
      return attempt.rejected(RejectReason.NETWORK, what + " abandoned: the fetcher was closed");
    }
    Optional<BlockedAddressException> blocked = find(e, BlockedAddressException.class);
    if (blocked.isPresent()) {
      return attempt.rejected(
          RejectReason.BLOCKED_ADDRESS, what + " refused: " + blocked.get().getMessage());
    }
    if (e instanceof ProtocolException
        && e.getMessage() != null
        && e.getMessage().startsWith("Too many follow-up requests")) {
      return attempt.rejected(RejectReason.REDIRECT_LOOP, what + ": " + e.getMessage());
    }
    if (attempt.remainingNanos() <= 0) {
      return attempt.rejected(RejectReason.TIMEOUT, timeoutDetail(url));
    }
    if (e instanceof SocketTimeoutException) {
      return attempt.rejected(
          RejectReason.TIMEOUT,
          what
              + " timed out: "
              + e.getMessage()
              + " (connect timeout "
              + seconds(settings.connectTimeout())
              + ", read timeout "
              + seconds(settings.readTimeout())
              + ")");
    }
    if (e instanceof InterruptedIOException) { // OkHttp's call timeout, a moment before ours
      return attempt.rejected(RejectReason.TIMEOUT, timeoutDetail(url));
    }
    if (e instanceof UnknownHostException) {
      return attempt.rejected(
          RejectReason.NETWORK,
          what + ": unknown host " + url.host() + " (" + e.getMessage() + ")");
    }
    return attempt.rejected(RejectReason.NETWORK, what + ": " + e);
  }

  private String timeoutDetail(HttpUrl url) {
    return "GET "
        + url
        + " did not complete within the call timeout of "
        + seconds(settings.callTimeout());
  }

  private static <T extends Throwable> Optional<T> find(Throwable e, Class<T> type) {
    Set<Throwable> seen = new java.util.HashSet<>();
    List<Throwable> todo = new ArrayList<>(List.of(e));
    while (!todo.isEmpty()) {
      Throwable t = todo.remove(todo.size() - 1);
      if (t == null || !seen.add(t)) {
        continue;
      }
      if (type.isInstance(t)) {
        return Optional.of(type.cast(t));
      }
      todo.add(t.getCause());
      todo.addAll(List.of(t.getSuppressed()));
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------- files

  private void startFile(Attempt attempt, String url) {
    Path path;
    try {
      path = Path.of(new URI(url));
    } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException e) {
      attempt.reject(
          RejectReason.BAD_URL, "not a local file URL: " + url + " (" + e.getMessage() + ")");
      return;
    }
    try {
      fileReaders.execute(() -> readFile(attempt, path));
    } catch (RejectedExecutionException e) {
      attempt.reject(RejectReason.NETWORK, "the fetcher is closed");
    }
  }

  private void readFile(Attempt attempt, Path requested) {
    if (attempt.result.isDone()) {
      return;
    }
    if (closed) {
      attempt.reject(RejectReason.NETWORK, "the fetcher is closed");
      return;
    }
    attempt.started();
    try {
      Path real = allowedRealPath(requested);
      BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        throw new Refusal(RejectReason.FILE_NOT_ALLOWED, real + " is not a regular file");
      }
      if (attributes.size() > settings.maxBytes()) {
        throw new Refusal(
            RejectReason.TOO_LARGE,
            real + " has " + attributes.size() + " bytes, over the cap of " + settings.maxBytes());
      }
      if (!attempt.room.take(attributes.size())) {
        attempt.defer(attributes.size());
        return;
      }
      byte[] bytes;
      // NOFOLLOW_LINKS: should the file have been swapped for a link since it was resolved.
      try (InputStream in =
          Files.newInputStream(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        bytes =
            CappedRead.read(
                in,
                settings.maxBytes(),
                attributes.size(),
                head -> sniff(head, real.toString(), null),
                real.toString());
      }
      if (bytes.length == 0) {
        throw new Refusal(RejectReason.EMPTY, real + " is empty");
      }
      attempt.fetched(
          new Fetched(
              attempt.url,
              real.toUri().toString(),
              bytes,
              sniff(bytes, real.toString(), null),
              null));
    } catch (Refusal r) {
      attempt.reject(r.reason(), r.detail());
    } catch (NoSuchFileException e) {
      attempt.reject(RejectReason.NETWORK, "no such file: " + requested);
    } catch (AccessDeniedException e) {
      attempt.reject(RejectReason.FILE_NOT_ALLOWED, "the file system denies reading " + requested);
    } catch (IOException | RuntimeException e) {
      attempt.reject(RejectReason.NETWORK, "cannot read " + requested + ": " + e);
    }
  }

  /**
   * The real path of {@code requested} if it lies inside an allowed root. The path is first checked
   * as written (normalised, so {@code ..} cannot climb out) so that nothing outside the roots is
   * ever touched, not even to learn whether it exists; then again with links resolved.
   */
  private Path allowedRealPath(Path requested) throws IOException, Refusal {
    List<Path> roots = settings.allowedFileRoots();
    if (roots.isEmpty()) {
      throw new Refusal(
          RejectReason.FILE_NOT_ALLOWED, "no file roots are allowed, so not " + requested);
    }
    List<Path> realRoots = new ArrayList<>();
    for (Path root : roots) {
      try {
        realRoots.add(root.toRealPath());
      } catch (IOException e) {
        // a root that does not exist (yet) allows nothing
      }
    }
    Path normal = requested.normalize();
    boolean inside =
        roots.stream().anyMatch(normal::startsWith)
            || realRoots.stream().anyMatch(normal::startsWith);
    if (!inside) {
      throw new Refusal(
          RejectReason.FILE_NOT_ALLOWED, requested + " is outside the allowed roots " + roots);
    }
    Path real = requested.toRealPath();
    if (realRoots.stream().noneMatch(real::startsWith)) {
      throw new Refusal(
          RejectReason.FILE_NOT_ALLOWED,
          requested + " resolves to " + real + ", outside the allowed roots " + roots);
    }
    return real;
  }

  // ---------------------------------------------------------------- common

  /** The format of an image we decode, or the refusal that says what the bytes are instead. */
  static String sniff(byte[] head, String what, String contentType) throws Refusal {
    Optional<String> format = ImageSniffer.format(head);
    if (format.isPresent()) {
      return format.get();
    }
    String declared = contentType == null ? "" : " (declared Content-Type: " + contentType + ")";
    Optional<String> unsupported = ImageSniffer.unsupportedFormat(head);
    if (unsupported.isPresent()) {
      throw new Refusal(
          RejectReason.UNSUPPORTED_FORMAT,
          what
              + " is "
              + unsupported.get().toUpperCase(Locale.ROOT)
              + ", not JPEG, PNG, GIF, WebP or BMP"
              + declared);
    }
    if (ImageSniffer.looksLikeMarkupOrSvg(head)) {
      throw new Refusal(
          RejectReason.NOT_AN_IMAGE,
          what + " is markup (an HTML or XML page), not an image" + declared);
    }
    byte[] first = java.util.Arrays.copyOf(head, Math.min(head.length, 8));
    throw new Refusal(
        RejectReason.NOT_AN_IMAGE,
        what
            + " is not an image: it starts with "
            + HexFormat.ofDelimiter(" ").formatHex(first)
            + declared);
  }

  private static String seconds(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger number = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + number.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * One fetch in progress: its future, the call now running, the URLs visited and the deadline,
   * which is set when the first request (or the file read) starts.
   */
  private final class Attempt {
    final String url;
    final BodyRoom room;
    final CompletableFuture<FetchOutcome> result = new CompletableFuture<>();
    final AtomicReference<Call> call = new AtomicReference<>();
    final Set<HttpUrl> visited = new LinkedHashSet<>(); // touched by one hop at a time
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile long deadline;

    Attempt(String url, BodyRoom room) {
      this.url = url;
      this.room = room;
      // Whoever completes the future first (the caller cancelling, the backstop timing out) ends
      // the request; our own completions clear the call before completing.
      result.whenComplete(
          (outcome, error) -> {
            Call running = call.getAndSet(null);
            if (running != null) {
              running.cancel();
            }
          });
    }

    /** The clock starts: sets the deadline and the backstop, once. */
    void started() {
      if (started.compareAndSet(false, true)) {
        Duration timeout = settings.callTimeout();
        deadline = System.nanoTime() + timeout.toNanos();
        result.completeOnTimeout(
            rejected(
                RejectReason.TIMEOUT,
                "fetching " + url + " did not complete within " + seconds(timeout)),
            timeout.plus(GRACE).toNanos(),
            TimeUnit.NANOSECONDS);
      }
    }

    /** Nanoseconds left before the deadline; {@link Long#MAX_VALUE} before the start. */
    long remainingNanos() {
      return started.get() ? deadline - System.nanoTime() : Long.MAX_VALUE;
    }

    void fetched(Fetched image) {
      call.set(null);
      result.complete(image);
    }

    Rejected rejected(RejectReason reason, String detail) {
      return new Rejected(url, reason, detail);
    }

    void reject(RejectReason reason, String detail) {
      reject(rejected(reason, detail));
    }

    void reject(Rejected rejected) {
      call.set(null);
      result.complete(rejected);
    }

    void defer(long declared) {
      call.set(null);
      result.complete(new FetchOutcome.Deferred(url, declared));
    }
  }
}
