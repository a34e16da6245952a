package io.memescope.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads Memescope's settings once, at the edge of a program, and hands out a validated {@link
 * MemescopeConfig}.
 *
 * <pre>{@code
 * MemescopeConfig config = new ConfigLoader()
 *     .optFile(Path.of("memescope.conf"))
 *     .optEnvironment(System.getenv())
 *     .optOverride("kafka.port", "19092")
 *     .load();
 * }</pre>
 *
 * Precedence: overrides, then environment ({@code MEMESCOPE_KAFKA_PORT} for {@code kafka.port}),
 * then the file, then {@code memescope-defaults.conf}. Keys that the defaults do not define are
 * rejected, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
  static final String DEFAULTS_RESOURCE = "memescope-defaults.conf";
  static final String ENV_PREFIX = "MEMESCOPE_";

  /** {@code MEMESCOPE_*} variables that are not settings: read by the launcher and compose. */
  static final java.util.Set<String> NOT_SETTINGS =
      java.util.Set.of("MEMESCOPE_JAVA_OPTS", "MEMESCOPE_MODELS");

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConfigLoader.class);

  /** The warnings this process has given: a program that loads its settings twice says it once. */
  private static final java.util.Set<String> WARNED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private Path file;
  private String text;
  private Map<String, String> environment = Map.of();
  private final Map<String, String> overrides = new LinkedHashMap<>();

  /** A HOCON file of settings; it must exist. */
  public ConfigLoader optFile(Path file) {
    this.file = file;
    return this;
  }

  /**
   * Settings as HOCON text, in place of a file: how a process of the stack hands its settings to
   * another ({@link MemescopeConfig#render()}), e.g. to a Flink job.
   */
  public ConfigLoader optText(String hocon) {
    this.text = hocon;
    return this;
  }

  public ConfigLoader optEnvironment(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
    return this;
  }

  public ConfigLoader optOverride(String key, String value) {
    overrides.put(key, value);
    return this;
  }

  public ConfigLoader optOverrides(Map<String, String> values) {
    overrides.putAll(values);
    return this;
  }

  /**
   * The settings file a command reads when none is named, if it exists in the working directory.
   */
  public static final String DEFAULT_FILE = "memescope.conf";

  /**
   * How every command-line program of the project reads its settings: the {@code MEMESCOPE_*}
   * environment, the named settings file (else {@value #DEFAULT_FILE} when it exists), the {@code
   * --set} overrides, and {@code --home}.
   *
   * @param configFile the {@code --config} file, or null
   * @param home the {@code --home} directory, or null
   */
  public static ConfigLoader forCommandLine(
      Path configFile, Path home, Map<String, String> overrides) {
    ConfigLoader loader =
        new ConfigLoader().optEnvironment(System.getenv()).optOverrides(overrides);
    Path file = configFile;
    if (file == null && java.nio.file.Files.isRegularFile(Path.of(DEFAULT_FILE))) {
      file = Path.of(DEFAULT_FILE);
    }
    if (file != null) {
      loader.optFile(file);
    }
    if (home != null) {
      loader.optOverride("home", home.toString());
    }
    return loader;
  }

  /** The defaults alone, as documented in {@code memescope-defaults.conf}. */
  public static Config defaults() {
    return ConfigFactory.parseResources(
        ConfigLoader.class,
        "/" + DEFAULTS_RESOURCE,
        ConfigParseOptions.defaults().setAllowMissing(false));
  }

  public MemescopeConfig load() {
    return MemescopeConfig.from(merged());
  }

  /** The merged, validated raw configuration (for {@code memescope config}). */
  public Config merged() {
    Config defaults = defaults();
    List<String> problems = new ArrayList<>();
    Config fromFile = readFile(problems);
    Config fromEnv = readEnvironment(defaults, problems);
    unknownEnvironment(defaults).stream().filter(WARNED::add).forEach(LOG::warn); // once each
    Config fromOverrides = readOverrides(problems);
    rejectUnknownKeys(fromFile, defaults, problems);
    rejectUnknownKeys(fromOverrides, defaults, problems);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    Config merged =
        fromOverrides.withFallback(fromEnv).withFallback(fromFile).withFallback(defaults);
    try {
      merged = merged.resolve();
      merged.checkValid(defaults);
    } catch (ConfigException.ValidationFailed e) {
      e.problems()
          .forEach(
              p -> problems.add(p.path() + ": " + p.problem() + " (" + describe(p.origin()) + ")"));
      throw new InvalidConfigException(problems);
    } catch (ConfigException e) {
      throw new InvalidConfigException(List.of(e.getMessage()));
    }
    return merged;
  }

  private Config readFile(List<String> problems) {
    if (text != null) {
      try {
        return ConfigFactory.parseString(text);
      } catch (ConfigException e) {
        problems.add(e.getMessage());
        return ConfigFactory.empty();
      }
    }
    if (file == null) {
      return ConfigFactory.empty();
    }
    if (!Files.isRegularFile(file)) {
      problems.add("config file " + file + " does not exist");
      return ConfigFactory.empty();
    }
    try {
      return ConfigFactory.parseFile(
          file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      problems.add(e.getMessage());
      return ConfigFactory.empty();
    }
  }

  private Config readEnvironment(Config defaults, List<String> problems) {
    Config result = ConfigFactory.empty();
    for (var entry : defaults.entrySet()) {
      String key = entry.getKey();
      String name = envName(key);
      String value = environment.get(name);
      if (value == null) {
        continue;
      }
      String v = value.strip();
      try {
        // A list setting also takes, simpler for a shell than HOCON, "a,b".
        boolean plainList =
            !isHocon(v) && entry.getValue().valueType() == com.typesafe.config.ConfigValueType.LIST;
        com.typesafe.config.ConfigValue parsed =
            plainList
                ? ConfigValueFactory.fromIterable(
                    v.isEmpty()
                        ? List.of()
                        : java.util.Arrays.stream(v.split(",")).map(String::strip).toList(),
                    "environment " + name)
                : value(value, "environment " + name);
        result = result.withValue(key, parsed);
      } catch (ConfigException bad) {
        problems.add(key + ": cannot read " + name + "='" + value + "': " + bad.getMessage());
      }
    }
    return result;
  }

  /**
   * A warning for each {@code MEMESCOPE_*} variable that names no setting (a typo would otherwise
   * fall back to the default without a word), with the closest setting's variable where one is
   * near. Not an error: the environment is shared with other programs and processes.
   */
  List<String> unknownEnvironment(Config defaults) {
    java.util.Set<String> known = new java.util.HashSet<>(NOT_SETTINGS);
    defaults.entrySet().forEach(e -> known.add(envName(e.getKey())));
    return environment.keySet().stream()
        .filter(name -> name.startsWith(ENV_PREFIX) && !known.contains(name))
        .sorted()
        .map(
            name ->
                "environment variable "
                    + name
                    + " is not a Memescope setting and is ignored"
                    + closest(name, known.stream().filter(k -> !NOT_SETTINGS.contains(k)))
                        .map(k -> " (did you mean " + k + "?)")
                        .orElse(""))
        .toList();
  }

  /**
   * A value from the environment or the command line: a list or an object is written in HOCON
   * (--set 'ingest.fetch.file-roots=["/data"]'), anything else is taken as it is.
   */
  private static com.typesafe.config.ConfigValue value(String raw, String origin) {
    String v = raw.strip();
    return isHocon(v)
        ? ConfigFactory.parseString(
                "value = " + v, ConfigParseOptions.defaults().setOriginDescription(origin))
            .getValue("value")
        : ConfigValueFactory.fromAnyRef(raw, origin);
  }

  private static boolean isHocon(String stripped) {
    return stripped.startsWith("[") || stripped.startsWith("{");
  }

  private Config readOverrides(List<String> problems) {
    Config result = ConfigFactory.empty();
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      try {
        result = result.withValue(e.getKey(), value(e.getValue(), "command line --set"));
      } catch (ConfigException.BadPath bad) {
        problems.add("'" + e.getKey() + "' is not a valid setting name (command line --set)");
      } catch (ConfigException bad) {
        problems.add(e.getKey() + ": cannot read '" + e.getValue() + "': " + bad.getMessage());
      }
    }
    return result;
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static void rejectUnknownKeys(Config given, Config defaults, List<String> problems) {
    for (var entry : given.entrySet()) {
      String key = entry.getKey();
      if (!defaults.hasPath(key)) {
        String hint = closestKey(key, defaults).map(k -> " (did you mean " + k + "?)").orElse("");
        problems.add(
            "unknown setting '" + key + "' in " + describe(entry.getValue().origin()) + hint);
      }
    }
  }

  private static Optional<String> closestKey(String key, Config defaults) {
    return closest(key, defaults.entrySet().stream().map(Map.Entry::getKey));
  }

  /** The candidate nearest to {@code name} in edit distance, if it is near enough to be a typo. */
  private static Optional<String> closest(String name, java.util.stream.Stream<String> candidates) {
    return candidates
        .min(Comparator.comparingInt(k -> editDistance(k, name)))
        .filter(k -> editDistance(k, name) <= Math.max(2, name.length() / 4));
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static String describe(com.typesafe.config.ConfigOrigin origin) {
    return origin == null ? "unknown origin" : origin.description();
  }
}
