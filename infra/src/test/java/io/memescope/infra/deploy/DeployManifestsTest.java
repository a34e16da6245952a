package io.memescope.infra.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.KafkaSettings.TopicSpec;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.infra.flink.IngestJobs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
}
