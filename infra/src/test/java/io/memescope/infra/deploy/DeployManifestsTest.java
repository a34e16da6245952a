package io.memescope.infra.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.KafkaSettings.TopicSpec;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.ModelSettings;
import io.memescope.core.embed.DecodeMemory;
import io.memescope.infra.flink.IngestJobs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cluster deployment files (infra/k8s, infra/compose, infra/docker) run what the local stack
 * runs: the same job jar and entry class, and settings that the services' own loader accepts. Files
 * only: no cluster, no network. Schema validation of the manifests is {@code
 * infra/bin/validate-deploy} (docs/deploy.md).
 */
class DeployManifestsTest {
  private static final Path ROOT = root();

  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("infra/k8s"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no infra/k8s above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  private static String read(String path) throws IOException {
    return Files.readString(ROOT.resolve(path));
  }

  private static String first(Pattern pattern, String text, String what) {
    Matcher m = pattern.matcher(text);
    assertThat(m.find()).as(what).isTrue();
    return m.group(1).strip();
  }

  /** The file name of the shaded jar the flink-jobs build makes (and `up` submits). */
  static String shadedJobJarName() throws IOException {
    String pom = read("flink-jobs/pom.xml");
    String artifactId =
        first(Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>"), pom, "artifactId");
    String version =
        first(
            Pattern.compile("<parent>.*?<version>([^<]+)</version>.*?</parent>", Pattern.DOTALL),
            pom,
            "parent version");
    String classifier =
        first(Pattern.compile("<shadedClassifierName>([^<]+)</shadedClassifierName>"), pom, "");
    return artifactId + "-" + version + "-" + classifier + ".jar";
  }

  @Test
  void theFlinkDeploymentRunsTheJarAndEntryClassThatTheLocalStackSubmits() throws IOException {
    String jar = shadedJobJarName();
    // IngestCommand.jobJar() takes the one file in flink-jobs/target that ends so.
    assertThat(jar).endsWith("-job.jar");

    String deployment = read("infra/k8s/base/flink-ingest.yaml");
    String jarUri = first(Pattern.compile("jarURI:\\s*(\\S+)"), deployment, "jarURI");
    assertThat(jarUri).isEqualTo("local:///opt/flink/usrlib/" + jar);
    assertThat(first(Pattern.compile("entryClass:\\s*(\\S+)"), deployment, "entryClass"))
        .isEqualTo(IngestJobs.ENTRY_CLASS);
  }

  @Test
  void theComposeJobManagerRunsTheSameJar() throws IOException {
    String compose = read("infra/compose/docker-compose.yml");
    assertThat(compose)
        .contains("--job-classname " + IngestJobs.ENTRY_CLASS)
        .contains("--jars /opt/flink/usrlib/" + shadedJobJarName());
  }

  @Test
  void theFlinkImageCopiesTheShadedJarIntoUsrlib() throws IOException {
    assertThat(read("infra/docker/flink.Dockerfile"))
        .contains("cp flink-jobs/target/memescope-flink-jobs-*-job.jar /out/usrlib/")
        .contains("FROM ${FLINK_IMAGE}")
        .contains("ARG FLINK_IMAGE=flink:" + flinkVersion() + "-java17");
  }

  @Test
  void theClusterTaskManagersRunLibtorchWithTheThreadsTheLocalStackGivesIt() throws IOException {
    String threads = Integer.toString(load("infra/compose/memescope.conf").model().torchThreads());
    assertThat(read("infra/k8s/base/flink-ingest.yaml"))
        .contains("{name: " + ModelSettings.TORCH_THREADS_ENV + ", value: \"" + threads + "\"}");
    assertThat(read("infra/compose/docker-compose.yml"))
        .contains(ModelSettings.TORCH_THREADS_ENV + ": \"" + threads + "\"");
  }

  /**
   * The TaskManagers' budget for OpenCV's decodes is within the off-heap memory Flink counts for
   * their tasks, with at least 512 MiB left for libtorch; otherwise the decodes come out of the JVM
   * overhead and a burst of large images gets the container killed for its memory.
   */
  @ParameterizedTest
  @ValueSource(strings = {"infra/k8s/base/flink-ingest.yaml", "infra/compose/docker-compose.yml"})
  void theNativeImageBudgetIsWithinTheTaskOffHeapMemory(String file) throws IOException {
    String manifest = read(file);
    long budget =
        bytes(
            first(
                Pattern.compile(
                    "-D" + Pattern.quote(DecodeMemory.NATIVE_PROPERTY) + "=([0-9]+[kmg]?)"),
                manifest,
                DecodeMemory.NATIVE_PROPERTY));
    long offHeap =
        bytes(
            first(
                Pattern.compile(
                    "taskmanager\\.memory\\.task\\.off-heap\\.size:\\s*\"?([0-9]+[kmg]?)"),
                manifest,
                "taskmanager.memory.task.off-heap.size"));
    assertThat(budget).isGreaterThanOrEqualTo(512L << 20);
    assertThat(offHeap - budget).as("left for libtorch").isGreaterThanOrEqualTo(512L << 20);
  }

  /**
   * Serving decodes query images through OpenCV too; its containers give the JVM a heap of 75 % of
   * their memory, beside which the default native budget (half the heap) would exceed the limit.
   */
  @ParameterizedTest
  @ValueSource(strings = {"infra/k8s/base/serving.yaml", "infra/compose/docker-compose.yml"})
  void servingSetsANativeImageBudgetBesideItsHeap(String file) throws IOException {
    String options =
        first(
            Pattern.compile("JAVA_TOOL_OPTIONS[,:]? *(?:value:)? *\"([^\"]+)\""), read(file), file);
    assertThat(options).contains("-XX:MaxRAMPercentage=75");
    Matcher budget =
        Pattern.compile("-D" + Pattern.quote(DecodeMemory.NATIVE_PROPERTY) + "=([0-9]+[kmg]?)")
            .matcher(options);
    assertThat(budget.find()).as("%s in %s", DecodeMemory.NATIVE_PROPERTY, file).isTrue();
    assertThat(bytes(budget.group(1))).isEqualTo(512L << 20);
  }

  private static long bytes(String size) {
    return com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of("size", size))
        .getBytes("size");
  }

  private static String flinkVersion() throws IOException {
    return first(Pattern.compile("<flink.version>([^<]+)</flink.version>"), read("pom.xml"), "");
  }

  @Test
  void theFlinkDeploymentNamesTheOperatorsFlinkVersionOfTheProject() throws IOException {
    String[] v = flinkVersion().split("\\.");
    assertThat(read("infra/k8s/base/flink-ingest.yaml"))
        .contains("flinkVersion: v" + v[0] + "_" + v[1]);
  }

  /**
   * Every key of the cluster settings is one the defaults define: the file goes through the
   * services' own loader, which rejects unknown keys and wrong types.
   */
  @ParameterizedTest
  @ValueSource(strings = {"infra/k8s/base/memescope.conf", "infra/compose/memescope.conf"})
  void clusterSettingsUseOnlyKeysOfTheDefaults(String file) {
    MemescopeConfig config = load(file);
    assertThat(config.ingest().jobName()).isEqualTo("memescope-ingest");
  }

  /**
   * The settings as the services load them. The loader also checks that host names resolve, which
   * cluster names (Services) do only inside the cluster: those four are replaced by loopback here,
   * and everything else is checked as it stands.
   */
  private static MemescopeConfig load(String file) {
    ConfigLoader loader = new ConfigLoader().optFile(ROOT.resolve(file));
    var merged = loader.merged();
    for (String key : List.of("kafka.host", "cassandra.host", "milvus.host", "flink.host")) {
      assertThat(merged.getString(key)).as(key).isNotBlank();
      loader.optOverride(key, "127.0.0.1");
    }
    return loader.load();
  }

  @Test
  void secretsComeFromTheEnvironmentBySubstitution() {
    // What the Secret's envFrom gives the pods: HOCON's ${?MEMESCOPE_...} picks it up.
    var merged = new ConfigLoader().optFile(ROOT.resolve("infra/k8s/base/memescope.conf")).merged();
    assertThat(merged.getString("serving.admin-key")).isEqualTo(envOrEmpty("SERVING_ADMIN_KEY"));
  }

  private static String envOrEmpty(String name) {
    String v = System.getenv("MEMESCOPE_" + name);
    return v == null ? "" : v;
  }

  @Test
  void kafkaTopicsMatchTheSettings() throws IOException {
    MemescopeConfig config = load("infra/k8s/base/memescope.conf");
    Map<String, String[]> declared = new LinkedHashMap<>();
    for (String doc : read("infra/k8s/base/kafka-topics.yaml").split("\n---\n")) {
      Matcher key = Pattern.compile("memescope.io/topic-key:\\s*(\\S+)").matcher(doc);
      if (!key.find()) {
        continue;
      }
      declared.put(
          key.group(1),
          new String[] {
            first(Pattern.compile("topicName:\\s*(\\S+)"), doc, "topicName"),
            first(Pattern.compile("partitions:\\s*(\\d+)"), doc, "partitions"),
            doc.contains("cleanup.policy: compact") ? "compact" : "delete"
          });
    }
    assertThat(declared.keySet())
        .containsExactlyInAnyOrderElementsOf(config.kafka().topics().keySet());
    for (var e : declared.entrySet()) {
      TopicSpec spec = config.kafka().topic(e.getKey());
      assertThat(List.of(e.getValue()))
          .as(e.getKey())
          .containsExactly(
              spec.name(),
              Integer.toString(spec.partitions()),
              spec.compacted() ? "compact" : "delete");
    }
  }

  @Test
  void servicesStartTheMainClassesOfTheLocalStack() throws IOException {
    assertThat(read("infra/k8s/base/crawler.yaml")).contains("io.memescope.crawler.CrawlerService");
    assertThat(read("infra/k8s/base/serving.yaml")).contains("io.memescope.serving.ServingMain");
    assertThat(read("infra/k8s/base/rater.yaml")).contains("io.memescope.rater.RaterMain");
  }

  // --- Cassandra metrics: image, rules, scrape configs, dashboard --------------------------

  private static final String AGENT_JAR = "/opt/jmx_exporter/jmx_prometheus_javaagent.jar";
  private static final String AGENT_CONFIG = "/opt/jmx_exporter/cassandra.yml";
  private static final String METRICS_PORT = "7070";

  @Test
  void theCassandraImageStartsTheExporterAgentWithTheRules() throws IOException {
    String dockerfile = read("infra/docker/cassandra.Dockerfile");
    assertThat(dockerfile)
        .contains("FROM cassandra:5.0")
        .containsPattern(
            "ADD --checksum=sha256:[0-9a-f]{64} [^\\n]*\\\\\\s+https://repo1\\.maven\\.org/maven2/io/prometheus/jmx/"
                + "jmx_prometheus_javaagent/([^/]+)/jmx_prometheus_javaagent-\\1\\.jar\\s*\\\\\\s+"
                + Pattern.quote(AGENT_JAR))
        // The build context is infra/docker, where the rules file is.
        .containsPattern("COPY [^\\n]*cassandra-jmx-exporter\\.yml " + Pattern.quote(AGENT_CONFIG))
        // One node with replication factor 1 (the compose file) must not acknowledge writes that a
        // crash can take back (docs/ARCHITECTURE.md): batch by default, checked in the build.
        .contains("ARG COMMITLOG_SYNC=batch")
        .contains("s/^commitlog_sync: periodic$/commitlog_sync: batch/")
        .contains("/^commitlog_sync_period:/d")
        .contains("grep -q '^commitlog_sync: batch$' /etc/cassandra/cassandra.yaml")
        .contains(
            "ENV JVM_EXTRA_OPTS=\"-javaagent:"
                + AGENT_JAR
                + "="
                + METRICS_PORT
                + ":"
                + AGENT_CONFIG
                + "\"");
    assertThat(ROOT.resolve("infra/docker/cassandra-jmx-exporter.yml")).isRegularFile();
  }

  @Test
  void bothDeploymentsRunTheCassandraImageAndScrapeItsMetricsPort() throws IOException {
    String statefulSet = read("infra/k8s/base/cassandra.yaml");
    assertThat(statefulSet)
        .contains("image: memescope/cassandra:")
        .contains("{name: metrics, containerPort: " + METRICS_PORT + "}")
        .contains("prometheus.io/scrape: \"true\"")
        .contains("prometheus.io/port: \"" + METRICS_PORT + "\"")
        // An env entry would replace the image's JVM_EXTRA_OPTS and with it the agent.
        .doesNotContainPattern("name:\\s*JVM_EXTRA_OPTS");
    assertThat(read("infra/observability/prometheus.yml"))
        .containsPattern("job_name: cassandra\\n(?:\\s+#[^\\n]*\\n)*\\s+kubernetes_sd_configs:")
        .containsPattern("regex: cassandra\\n\\s+action: keep");

    String compose = read("infra/compose/docker-compose.yml");
    String service =
        first(Pattern.compile("\\n  cassandra:\\n((?:    .*\\n|\\s*\\n)+)"), compose, "cassandra");
    assertThat(service)
        .contains("image: memescope/cassandra:")
        .contains("dockerfile: cassandra.Dockerfile")
        .contains("context: ../docker")
        .doesNotContainPattern("JVM_EXTRA_OPTS\\s*[:=]");
    assertThat(read("infra/observability/prometheus-compose.yml"))
        .contains("targets: [\"cassandra:" + METRICS_PORT + "\"]");
  }

  /**
   * Every cassandra_* series the dashboard queries is one the exporter rules produce, with labels
   * and label values the rules can give it; the latency rules convert Cassandra's microseconds.
   */
  @Test
  void theDashboardQueriesOnlyCassandraMetricsThatTheRulesProduce() throws IOException {
    JsonNode config =
        new ObjectMapper(new YAMLFactory())
            .readTree(ROOT.resolve("infra/docker/cassandra-jmx-exporter.yml").toFile());
    assertThat(config.path("lowercaseOutputName").asBoolean()).isTrue();
    Map<String, Map<String, List<Pattern>>> produced = new LinkedHashMap<>();
    for (JsonNode rule : config.withArray("rules")) {
      String pattern = rule.path("pattern").asText();
      assertThat(pattern).as("rule pattern").isNotBlank();
      Pattern.compile(pattern); // the exporter compiles it as a Java regex too
      List<String> groups = captureGroups(pattern);
      for (String name : expand(rule.path("name").asText(), groups, true)) {
        if (!name.matches("[a-z_:][a-z0-9_:]*")) {
          throw new AssertionError(
              "not a literal metric name: " + name + " (rule " + pattern + ")");
        }
        if (name.endsWith("_seconds") && pattern.contains("name=Latency")) {
          assertThat(rule.path("valueFactor").asDouble())
              .as(name + " from microseconds")
              .isEqualTo(1e-6);
        }
        Map<String, List<Pattern>> labels =
            produced.computeIfAbsent(name, k -> new LinkedHashMap<>());
        rule.path("labels")
            .fields()
            .forEachRemaining(
                l -> {
                  List<Pattern> values = labels.computeIfAbsent(l.getKey(), k -> new ArrayList<>());
                  for (String v : expand(l.getValue().asText(), groups, false)) {
                    values.add(Pattern.compile(Pattern.quote(v).replace("\0", "\\E.*\\Q")));
                  }
                });
      }
    }
    assertThat(produced)
        .containsKeys(
            "cassandra_clientrequest_latency_seconds",
            "cassandra_compaction_pending_tasks",
            "cassandra_dropped_messages_total",
            "cassandra_storage_load_bytes");

    JsonNode dashboard =
        new ObjectMapper()
            .readTree(ROOT.resolve("infra/observability/grafana/memescope.json").toFile());
    Pattern series = Pattern.compile("\\b(cassandra_[a-zA-Z0-9_:]*)\\s*(?:\\{([^}]*)\\})?");
    Pattern matcher = Pattern.compile("(\\w+)\\s*(=~|!=|!~|=)\\s*\"([^\"]*)\"");
    Set<String> queried = new LinkedHashSet<>();
    for (JsonNode panel : dashboard.withArray("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = series.matcher(target.path("expr").asText());
        while (m.find()) {
          String name = m.group(1);
          queried.add(name);
          assertThat(produced).as("rules for " + name).containsKey(name);
          Matcher sel = matcher.matcher(m.group(2) == null ? "" : m.group(2));
          while (sel.find()) {
            String label = sel.group(1);
            if (List.of("pod", "instance", "job").contains(label)) {
              continue; // added by the scrape configs
            }
            List<Pattern> values = produced.get(name).get(label);
            assertThat(values).as(name + " label " + label).isNotNull();
            if (sel.group(2).equals("=")) {
              String value = sel.group(3);
              assertThat(values.stream().anyMatch(p -> p.matcher(value).matches()))
                  .as(name + "{" + label + "=\"" + value + "\"}")
                  .isTrue();
            }
          }
        }
      }
    }
    assertThat(queried).contains("cassandra_clientrequest_latency_seconds");
  }

  /** The capturing groups of a regex, in the order of their numbers ($1, $2, ...). */
  private static List<String> captureGroups(String regex) {
    List<String> groups = new ArrayList<>();
    Deque<int[]> open = new ArrayDeque<>(); // {start of content, group index or -1}
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '(') {
        boolean capturing = i + 1 >= regex.length() || regex.charAt(i + 1) != '?';
        open.push(new int[] {i + 1, capturing ? groups.size() : -1});
        if (capturing) {
          groups.add(null);
        }
      } else if (c == ')') {
        int[] g = open.pop();
        if (g[1] >= 0) {
          groups.set(g[1], regex.substring(g[0], i));
        }
      }
    }
    return groups;
  }

  /**
   * The strings a rule's template can give: $n becomes each alternative of group n when that group
   * is a list of literals, or NUL (any text) otherwise. Names are lowercased (lowercaseOutputName),
   * label values are not.
   */
  private static List<String> expand(String template, List<String> groups, boolean lowercase) {
    Matcher ref = Pattern.compile("\\$(\\d+)").matcher(template);
    if (!ref.find()) {
      return List.of(lowercase ? template.toLowerCase(Locale.ROOT) : template);
    }
    String group = groups.get(Integer.parseInt(ref.group(1)) - 1);
    List<String> alternatives =
        group.matches("\\w+(\\|\\w+)*") ? List.of(group.split("\\|")) : List.of("\0");
    List<String> out = new ArrayList<>();
    for (String alt : alternatives) {
      String head = template.substring(0, ref.start()) + alt;
      for (String rest : expand(template.substring(ref.end()), groups, lowercase)) {
        out.add((lowercase ? head.toLowerCase(Locale.ROOT) : head) + rest);
      }
    }
    return out;
  }
}
