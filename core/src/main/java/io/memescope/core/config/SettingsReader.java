package io.memescope.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Typed, range-checked reads from a merged configuration. Problems are collected rather than thrown
 * one by one, so a user sees every bad key at once.
 */
final class SettingsReader {
  private final Config config;
  private final List<String> problems = new ArrayList<>();

  SettingsReader(Config config) {
    this.config = config;
  }

  String string(String key) {
    return read(key, () -> config.getString(key), "");
  }

  String nonBlank(String key) {
    String value = string(key);
    if (value.isBlank()) {
      problem(key, "must not be empty");
    }
    return value;
  }

  int intInRange(String key, int min, int max) {
    int value = read(key, () -> config.getInt(key), min);
    if (value < min || value > max) {
      problem(key, "is " + value + ", must be between " + min + " and " + max);
    }
    return value;
  }

  double doubleInRange(String key, double min, double max) {
    double value = read(key, () -> config.getDouble(key), min);
    if (!(value >= min && value <= max)) {
      problem(key, "is " + value + ", must be between " + min + " and " + max);
    }
    return value;
  }

  int port(String key) {
    return intInRange(key, 1, 65535);
  }

  boolean bool(String key) {
    return read(key, () -> config.getBoolean(key), false);
  }

  Duration nonNegativeDuration(String key) {
    Duration value = read(key, () -> config.getDuration(key), Duration.ZERO);
    if (value.isNegative()) {
      problem(key, "must be a duration such as 10s, or 0s");
    }
    return value;
  }

  Duration positiveDuration(String key) {
    Duration value = read(key, () -> config.getDuration(key), Duration.ofSeconds(1));
    if (value.isZero() || value.isNegative()) {
      problem(key, "must be a positive duration such as 30s");
    }
    return value;
  }

  /** A positive duration of at most {@code max} (a client library's own limit, or sense). */
  Duration positiveDurationAtMost(String key, Duration max) {
    Duration value = positiveDuration(key);
    if (value.compareTo(max) > 0) {
      problem(key, "is " + value + ", must be at most " + max.toSeconds() + "s");
      return max;
    }
    return value;
  }

  /** A size in whole megabytes, between the two bounds. */
  long megabytesBetween(String key, long minMegabytes, long maxMegabytes) {
    long mb = megabytesAtLeast(key, minMegabytes);
    if (mb > maxMegabytes) {
      problem(key, "is " + mb + "m, must be at most " + maxMegabytes + "m");
      return maxMegabytes;
    }
    return mb;
  }

  long megabytesAtLeast(String key, long minMegabytes) {
    long bytes = read(key, () -> config.getBytes(key), minMegabytes << 20);
    long mb = bytes >> 20;
    if (mb < minMegabytes) {
      problem(key, "is " + mb + "m, must be at least " + minMegabytes + "m");
    }
    return mb;
  }

  Path path(String key) {
    return Path.of(string(key));
  }

  /** A host name or address; local-stack hosts must also be loopback, checked by the launcher. */
  String host(String key) {
    String value = nonBlank(key);
    try {
      InetAddress.getByName(value);
    } catch (UnknownHostException e) {
      problem(key, "'" + value + "' does not resolve");
    }
    return value;
  }

  /** A list of strings; when it is not one, the problem says it must be a list of {@code what}. */
  List<String> stringList(String key, String what) {
    try {
      return List.copyOf(config.getStringList(key));
    } catch (ConfigException e) {
      problem(key, "must be a list of " + what);
      return List.of();
    }
  }

  /**
   * A list of IP addresses (reverse proxies), each as {@link
   * io.memescope.core.net.ClientAddress#normal} writes it; host names are refused, since they would
   * need a DNS look-up and could change under us.
   */
  java.util.Set<String> ipAddresses(String key) {
    java.util.Set<String> out = new java.util.LinkedHashSet<>();
    for (String a : stringList(key, "IP addresses")) {
      String normal = io.memescope.core.net.ClientAddress.normal(a);
      if (normal == null) {
        problem(key, "'" + a + "' is not an IP address (host names are not looked up here)");
      } else {
        out.add(normal);
      }
    }
    return java.util.Set.copyOf(out);
  }

  Config config() {
    return config;
  }

  void problem(String key, String message) {
    com.typesafe.config.ConfigOrigin origin = null;
    try {
      if (config.hasPath(key)) {
        origin = config.getValue(key).origin();
      }
    } catch (ConfigException.BadPath e) {
      // e.g. crawler.sources[1].id: a place inside a list, not a path the library can look up
    }
    problem(key, message, origin);
  }

  /** A problem at a place the library cannot look up by path (inside a list), with its origin. */
  void problem(String key, String message, com.typesafe.config.ConfigOrigin origin) {
    problems.add(key + " " + message + (origin == null ? "" : " (" + origin.description() + ")"));
  }

  void throwIfProblems() {
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
  }

  private <T> T read(String key, Supplier<T> reader, T fallback) {
    try {
      return reader.get();
    } catch (ConfigException.Missing e) {
      problems.add(key + " is missing");
    } catch (ConfigException e) {
      problems.add(key + ": " + e.getMessage());
    }
    return fallback;
  }
}
