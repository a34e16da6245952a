package io.memescope.infra.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The parts of Flink's REST API that Memescope uses: cluster overview, TaskManagers, and job-jar
 * upload, run and status. Works against any Flink 2.x session cluster.
 */
public final class FlinkRestClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final URI base;
  private final HttpClient http;
  private final Duration timeout;

  public FlinkRestClient(String restUrl, Duration timeout) {
    this.base = URI.create(restUrl.endsWith("/") ? restUrl : restUrl + "/");
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** The error for {@code request} (method and URI) answered with {@code status}. */
  public static FlinkRestException errorFor(String request, int status, String body) {
    return new FlinkRestException(request + " answered " + status + ": " + body, null, status);
  }

  /** Thrown when the cluster answers with an error or not at all. */
  public static final class FlinkRestException extends RuntimeException {
    private final int status;

    public FlinkRestException(String message, Throwable cause) {
      this(message, cause, -1);
    }

    FlinkRestException(String message, Throwable cause, int status) {
      super(message, cause);
      this.status = status;
    }

    /** The HTTP status the cluster answered with; -1 when it did not answer. */
    public int status() {
      return status;
    }

    /**
     * One line for a person: for an answer, the request and the innermost cause in Flink's error
     * (its answer carries a whole Java stack trace, which said what went wrong only at its end);
     * for no answer, that Flink is not answering and how to start it.
     */
    public String brief() {
      if (status < 0) {
        Throwable cause = getCause();
        if (cause instanceof java.net.ConnectException
            || cause instanceof java.net.http.HttpConnectTimeoutException) {
          String request = getMessage().replaceFirst(" failed: .*", "");
          return request
              + ": Flink is not answering; start the stack with `./memescope up`"
              + " (`./memescope status` shows what runs)";
        }
        return getMessage();
      }
      String message = getMessage();
      int body = message.indexOf(": ", message.indexOf(" answered "));
      String request = body < 0 ? message : message.substring(0, body);
      String reason = body < 0 ? "" : rootCause(message.substring(body + 2));
      return reason.isEmpty() ? message : request + ": " + reason;
    }

    /**
     * The last "Caused by:" line in a Flink error answer, or the first line of its first error. The
     * cause may be in any of the answer's errors: a handler's own failure puts its trace first, an
     * unexpected one answers "Internal server error." first and the trace second.
     */
    static String rootCause(String body) {
      List<String> errors = new ArrayList<>();
      try {
        JsonNode node = JSON.readTree(body).path("errors");
        node.forEach(e -> errors.add(e.asText()));
      } catch (IOException e) {
        // Not JSON: the text as it came.
      }
      if (errors.isEmpty()) {
        errors.add(body);
      }
      String last = null;
      for (String error : errors) {
        for (String line : error.split("\n")) {
          if (line.startsWith("Caused by: ")) {
            last = line.substring("Caused by: ".length());
          }
        }
      }
      String first = errors.get(0).lines().findFirst().orElse("").strip();
      return (last != null ? last : first).strip();
    }
  }

  public JsonNode overview() {
    return get("overview");
  }

  /** Resource ids of the registered TaskManagers. */
  public List<String> taskManagerIds() {
    List<String> ids = new ArrayList<>();
    get("taskmanagers").path("taskmanagers").forEach(tm -> ids.add(tm.path("id").asText()));
    return ids;
  }

  /** Uploads a job jar; returns the id the cluster gave it. */
  public String uploadJar(Path jar) {
    String boundary = "----memescope" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      body.write(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                  + jar.getFileName()
                  + "\"\r\nContent-Type: application/java-archive\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(jar));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new FlinkRestException("cannot read job jar " + jar, e);
    }
    JsonNode answer =
        send(
            HttpRequest.newBuilder(base.resolve("jars/upload"))
                .timeout(timeout.multipliedBy(10))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build());
    String filename = answer.path("filename").asText();
    return filename.substring(filename.lastIndexOf('/') + 1);
  }

  /** Runs an uploaded jar's entry class; returns the job id. */
  public String runJar(String jarId, String entryClass, List<String> args) {
    return runJar(jarId, entryClass, args, null);
  }

  /** Runs an uploaded jar's entry class, restoring {@code savepointPath} when given. */
  public String runJar(String jarId, String entryClass, List<String> args, String savepointPath) {
    String body;
    try {
      Map<String, Object> request = new java.util.LinkedHashMap<>();
      request.put("entryClass", entryClass);
      request.put("programArgsList", args);
      if (savepointPath != null) {
        request.put("savepointPath", savepointPath);
      }
      body = JSON.writeValueAsString(request);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    JsonNode answer =
        send(
            HttpRequest.newBuilder(base.resolve("jars/" + jarId + "/run"))
                .timeout(timeout.multipliedBy(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    return answer.path("jobid").asText();
  }

  /** A job as the cluster lists it. */
  public record Job(String id, String name, String state) {}

  /** Every job the cluster knows, running or ended. */
  public List<Job> jobs() {
    List<Job> jobs = new ArrayList<>();
    get("jobs/overview")
        .path("jobs")
        .forEach(
            j ->
                jobs.add(
                    new Job(
                        j.path("jid").asText(),
                        j.path("name").asText(),
                        j.path("state").asText())));
    return jobs;
  }

  /** The job's details ({@code GET /jobs/:id}): vertices with their metrics, state, times. */
  public JsonNode job(String jobId) {
    return get("jobs/" + jobId);
  }

  /** How long {@link #jobWithCurrentMetrics} waits at most for Flink to refresh its metrics. */
  static final Duration METRICS_REFRESH = Duration.ofSeconds(2);

  /**
   * The job's details with its vertices' record counts as of now. Flink's REST API answers from a
   * store of metrics that a request only starts refreshing (at most every {@code
   * metrics.fetcher.update-interval}, 10 s by default): the first request after a quiet spell gets
   * the counts of the last request's time, however old. So this asks once, then again every 200 ms
   * until the counts change, for at most {@link #METRICS_REFRESH}.
   */
  public JsonNode jobWithCurrentMetrics(String jobId) throws InterruptedException {
    JsonNode first = job(jobId);
    List<Long> before = recordCounts(first);
    long deadline = System.nanoTime() + METRICS_REFRESH.toNanos();
    JsonNode latest = first;
    while (System.nanoTime() < deadline) {
      Thread.sleep(200);
      latest = job(jobId);
      if (!recordCounts(latest).equals(before)) {
        break;
      }
    }
    return latest;
  }

  private static List<Long> recordCounts(JsonNode job) {
    List<Long> counts = new ArrayList<>();
    for (JsonNode v : job.path("vertices")) {
      counts.add(v.path("metrics").path("read-records").asLong());
      counts.add(v.path("metrics").path("write-records").asLong());
    }
    return counts;
  }

  /** Ids of the metrics a vertex's subtasks report (aggregatable over subtasks). */
  public List<String> vertexMetricIds(String jobId, String vertexId) {
    List<String> ids = new ArrayList<>();
    get("jobs/" + jobId + "/vertices/" + vertexId + "/subtasks/metrics")
        .forEach(m -> ids.add(m.path("id").asText()));
    return ids;
  }

  /** The sums over a vertex's subtasks of the given metrics. */
  public Map<String, Double> vertexMetricSums(String jobId, String vertexId, List<String> ids) {
    Map<String, Double> sums = new java.util.LinkedHashMap<>();
    if (ids.isEmpty()) {
      return sums;
    }
    String query = java.net.URLEncoder.encode(String.join(",", ids), StandardCharsets.UTF_8);
    get("jobs/" + jobId + "/vertices/" + vertexId + "/subtasks/metrics?agg=sum&get=" + query)
        .forEach(m -> sums.put(m.path("id").asText(), m.path("sum").asDouble()));
    return sums;
  }

  /**
   * The job's failures so far, from its exception history ({@code GET /jobs/:id/exceptions}, read
   * from the execution graph; the {@code numRestarts} metric is served from a cache that may be
   * seconds old): how many (at most {@code max}; {@code more} when the history holds more), and the
   * newest as one line, its first and, where it has one, its deepest cause.
   */
  public Failures failures(String jobId, int max) {
    JsonNode history =
        get("jobs/" + jobId + "/exceptions?maxExceptions=" + max).path("exceptionHistory");
    JsonNode entries = history.path("entries");
    if (!entries.isArray() || entries.isEmpty()) {
      return new Failures(0, false, null);
    }
    JsonNode e = entries.get(0);
    String trace = e.path("stacktrace").asText("");
    List<String> lines = trace.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    String latest = lines.isEmpty() ? e.path("exceptionName").asText("") : lines.get(0);
    String cause = null;
    for (String l : lines) {
      if (l.startsWith("Caused by: ")) {
        cause = l.substring("Caused by: ".length());
      }
    }
    if (cause != null && !latest.contains(cause)) {
      latest = latest + " (caused by " + cause + ")";
    }
    return new Failures(entries.size(), history.path("truncated").asBoolean(false), latest);
  }

  /** See {@link #failures}. */
  public record Failures(int count, boolean more, String latest) {}

  /** Cancels a job. */
  public void cancel(String jobId) {
    send(
        HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
            .timeout(timeout)
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build());
  }

  public String jobState(String jobId) {
    return get("jobs/" + jobId).path("state").asText();
  }

  public void deleteJar(String jarId) {
    send(HttpRequest.newBuilder(base.resolve("jars/" + jarId)).timeout(timeout).DELETE().build());
  }

  private JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build());
  }

  private JsonNode send(HttpRequest request) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw errorFor(
            request.method() + " " + request.uri(), response.statusCode(), response.body());
      }
      return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new FlinkRestException(request.method() + " " + request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlinkRestException("interrupted", e);
    }
  }
}
