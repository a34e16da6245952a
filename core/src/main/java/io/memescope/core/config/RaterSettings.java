package io.memescope.core.config;

import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rater web app (module rater-web).
 *
 * @param dimensions what raters judge, each on the five-point pairwise scale
 * @param keyRows five keys per dimension, in order from "left much better" to "right much better"
 * @param defaultQueue the rating queue of raters who have none of their own
 * @param lease how long a queued pair stays reserved for the rater it was handed to
 * @param sessionTtl how long a sign-in lasts
 * @param secureCookies whether the session cookie is marked Secure (browsers still send it to
 *     http://localhost and 127.0.0.1)
 * @param overlap share of queued pairs that two raters rate, for inter-rater agreement
 * @param undoWindow how old a rating may be and still be undone
 * @param adminPassword the first admin's password; empty: the stack's generated password file
 * @param loginAttempts failed sign-ins allowed per user name and per client per minute
 * @param trustedProxies addresses of reverse proxies whose {@code X-Forwarded-For} names the client
 *     for the sign-in limit ({@link io.memescope.core.net.ClientAddress})
 */
public record RaterSettings(
    boolean enabled,
    String host,
    int port,
    List<String> dimensions,
    List<String> keyRows,
    String defaultQueue,
    Duration lease,
    Duration sessionTtl,
    boolean secureCookies,
    double overlap,
    Duration undoWindow,
    String thumbnail,
    String adminPassword,
    int loginAttempts,
    java.util.Set<String> trustedProxies) {

  /** Names of dimensions and queues: what a URL, a map key and a CQL value can all carry. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  /** The shortest password an account may have, in characters. */
  public static final int MIN_PASSWORD = 10;

  /** The longest password an account may have, in characters. */
  public static final int MAX_PASSWORD = 1024;

  /**
   * Where the stack keeps the first admin's password when {@code rater.admin-password} is empty:
   * {@code <home>/conf/rater-admin-password}; the admin account is {@code admin}.
   */
  public static Path adminPasswordFile(Path home) {
    return home.resolve("conf").resolve("rater-admin-password");
  }

  /** The five keys of dimension {@code i}. */
  public String keys(int i) {
    return keyRows.get(i);
  }

  static RaterSettings read(SettingsReader r) {
    List<String> dimensions = r.stringList("rater.dimensions", "strings");
    List<String> rows = r.stringList("rater.key-rows", "strings");
    if (dimensions.isEmpty()) {
      r.problem("rater.dimensions", "must name at least one dimension");
    }
    for (String d : dimensions) {
      if (!NAME.matcher(d).matches()) {
        r.problem("rater.dimensions", "'" + d + "' must match " + NAME.pattern());
      }
    }
    if (new HashSet<>(dimensions).size() != dimensions.size()) {
      r.problem("rater.dimensions", "names a dimension twice");
    }
    if (rows.size() < dimensions.size()) {
      r.problem(
          "rater.key-rows",
          "has " + rows.size() + " rows for " + dimensions.size() + " dimensions");
    }
    Set<Character> keys = new HashSet<>();
    for (String row : rows) {
      if (row.length() != 5 || !row.equals(row.toLowerCase(Locale.ROOT))) {
        r.problem("rater.key-rows", "'" + row + "' must be five lower-case keys");
      }
      for (char c : row.toCharArray()) {
        if (c == ' ' || !keys.add(c)) {
          r.problem("rater.key-rows", "uses '" + c + "' twice or a space");
        }
      }
    }
    String queue = r.nonBlank("rater.default-queue");
    if (!NAME.matcher(queue).matches()) {
      r.problem("rater.default-queue", "must match " + NAME.pattern());
    }
    String thumbnail = r.nonBlank("rater.thumbnail");
    if (!thumbnail.equals("small") && !thumbnail.equals("large")) {
      r.problem("rater.thumbnail", "must be small or large");
    }
    double overlap = 0;
    try {
      overlap = r.config().getDouble("rater.overlap");
    } catch (ConfigException e) {
      r.problem("rater.overlap", "must be a number");
    }
    if (overlap < 0 || overlap > 1) {
      r.problem("rater.overlap", "must be between 0 and 1");
    }
    return new RaterSettings(
        r.bool("rater.enabled"),
        r.host("rater.host"),
        r.port("rater.port"),
        dimensions,
        rows,
        queue,
        r.positiveDuration("rater.lease"),
        r.positiveDuration("rater.session-ttl"),
        r.bool("rater.secure-cookies"),
        overlap,
        r.nonNegativeDuration("rater.undo-window"),
        thumbnail,
        r.string("rater.admin-password"),
        r.intInRange("rater.login-attempts", 1, 1000),
        r.ipAddresses("rater.trusted-proxies"));
  }
}
