package io.memescope.rater;

import com.datastax.oss.driver.api.core.cql.Row;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import io.github.bucket4j.Bucket;
import io.memescope.core.config.RaterSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Raters, their passwords (Argon2id) and their sign-in sessions. A session is a random token in an
 * HttpOnly cookie; Cassandra keeps only the token's SHA-256, with the CSRF token that every write
 * of the session must echo.
 */
final class Accounts {
  static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  static final int MIN_PASSWORD = RaterSettings.MIN_PASSWORD;
  static final int MAX_PASSWORD = RaterSettings.MAX_PASSWORD;

  /**
   * Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane); stored hashes carry their
   * own parameters, so raising these later still verifies old ones.
   */
  private static final Argon2Function KDF = Argon2Function.getInstance(19_456, 2, 1, 32, Argon2.ID);

  /**
   * A rater account. {@code sessionsFrom}: sessions opened before it are over (a password reset, a
   * disabled account); null when none has been ended.
   */
  record Rater(
      String username,
      String role,
      boolean disabled,
      String queue,
      Instant createdAt,
      Instant sessionsFrom) {
    boolean admin() {
      return "admin".equals(role);
    }
  }

  /** A signed-in session: its rater, the CSRF token of its writes, and when it was opened. */
  record Session(String tokenHash, Rater rater, String csrf, Instant createdAt) {
    /** Whether the account still lets this session in. */
    boolean allowedBy(Rater r) {
      return !r.disabled()
          && (r.sessionsFrom() == null
              || createdAt == null
              || !createdAt.isBefore(r.sessionsFrom()));
    }
  }

  /** A new session: the token for the cookie, and the session. */
  record SignIn(String token, Session session) {}

  private final Db db;
  private final RaterSettings settings;
  private final SecureRandom random = new SecureRandom();
  private final String dummyHash;
  private final Cache<String, Optional<Rater>> raters =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(30)).build();
  private final Cache<String, Optional<Session>> sessions =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofSeconds(30)).build();
  private final Cache<String, Bucket> failures =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(5)).build();

  Accounts(Db db, RaterSettings settings) {
    this.db = db;
    this.settings = settings;
    this.dummyHash = hash("not a password of anyone's");
  }

  static String hash(String password) {
    return Password.hash(password).addRandomSalt(16).with(KDF).getResult();
  }

  static boolean verify(String password, String hash) {
    try {
      return Password.check(password, hash).with(Argon2Function.getInstanceFromHash(hash));
    } catch (RuntimeException e) {
      return false; // not a hash we can read
    }
  }

  Optional<Rater> rater(String username) {
    return raters.get(
        username,
        u ->
            db.call(
                s ->
                    Optional.ofNullable(
                            s.execute(
                                    db.prepare(
                                            s,
                                            "SELECT username, role, disabled, queue, created_at, sessions_from"
                                                + " FROM raters WHERE username = ?")
                                        .bind(u))
                                .one())
                        .map(this::toRater)));
  }

  List<Rater> all() {
    return db.call(
        s ->
            s
                .execute(
                    "SELECT username, role, disabled, queue, created_at, sessions_from FROM raters")
                .all()
                .stream()
                .map(this::toRater)
                .sorted(java.util.Comparator.comparing(Rater::username))
                .toList());
  }

  /** Creates a rater; 409 when the name is taken. */
  Rater create(String username, String password, String role, String queue) {
    checkUsername(username);
    checkPassword(password);
    checkRole(role);
    String q = queue == null || queue.isBlank() ? settings.defaultQueue() : checkQueue(queue);
    Instant now = Instant.now();
    String hashed = hash(password);
    boolean applied =
        db.call(
            s ->
                s.execute(
                        db.prepare(
                                s,
                                "INSERT INTO raters (username, password_hash, role, disabled,"
                                    + " queue, created_at) VALUES (?, ?, ?, false, ?, ?)"
                                    + " IF NOT EXISTS")
                            .bind(username, hashed, role, q, now))
                    .wasApplied());
    if (!applied) {
      throw new ApiException(409, "username: " + username + " exists", "username", 0, null);
    }
    raters.invalidate(username);
    return new Rater(username, role, false, q, now, null);
  }

  /**
   * Changes what is given (null: unchanged) of an existing rater, on behalf of the admin {@code
   * actor}, who must not be {@code username} when the change takes admin rights away (the caller
   * refuses that). A change that takes an enabled admin's rights away (the role, or the account)
   * first reads {@code actor} from Cassandra rather than from this instance's 30 s cache, and is
   * refused (403) unless {@code actor} is still an enabled admin: so two admins who demote each
   * other a few seconds apart, through different instances, cannot leave no admin. Requests that
   * cross within the same few milliseconds still can; {@link #ensureAdmin} mends that at the next
   * start.
   */
  Rater update(
      String actor, String username, String password, String role, Boolean disabled, String queue) {
    Rater r =
        rater(username).orElseThrow(() -> ApiException.status(404, "no rater named " + username));
    boolean takesAdmin =
        r.admin()
            && !r.disabled()
            && ((role != null && !"admin".equals(role)) || Boolean.TRUE.equals(disabled));
    if (takesAdmin) {
      raters.invalidate(actor);
      if (rater(actor).filter(a -> a.admin() && !a.disabled()).isEmpty()) {
        throw ApiException.status(403, "this needs the admin role");
      }
    }
    if (password != null) {
      checkPassword(password);
    }
    if (role != null) {
      checkRole(role);
    }
    if (queue != null) {
      checkQueue(queue);
    }
    String hashed = password == null ? null : hash(password);
    // A new password, or the account disabled or enabled: the sessions open now are over.
    boolean ends = hashed != null || (disabled != null && disabled != r.disabled());
    Instant sessionsFrom = ends ? now() : r.sessionsFrom();
    db.call(
        s -> {
          if (ends) {
            s.execute(
                "UPDATE raters SET sessions_from = ? WHERE username = ?", sessionsFrom, username);
          }
          if (hashed != null) {
            s.execute("UPDATE raters SET password_hash = ? WHERE username = ?", hashed, username);
          }
          if (role != null) {
            s.execute("UPDATE raters SET role = ? WHERE username = ?", role, username);
          }
          if (disabled != null) {
            s.execute("UPDATE raters SET disabled = ? WHERE username = ?", disabled, username);
          }
          if (queue != null) {
            s.execute("UPDATE raters SET queue = ? WHERE username = ?", queue, username);
          }
          return null;
        });
    raters.invalidate(username);
    return new Rater(
        username,
        role == null ? r.role() : role,
        disabled == null ? r.disabled() : disabled,
        queue == null ? r.queue() : queue,
        r.createdAt(),
        sessionsFrom);
  }

  /**
   * Checks a password and opens a session. Failed attempts are limited per user name and per
   * client: past the limit, 429 until a minute has refilled the allowance.
   */
  SignIn signIn(String username, String password, String client) {
    Bucket byName = failureBucket("user:" + username, settings.loginAttempts());
    // A client address may be a whole office behind one NAT: it gets ten users' allowance.
    Bucket byClient = failureBucket("client:" + client, settings.loginAttempts() * 10);
    // Charged before the hash, refunded on success: checked only, a few hundred attempts sent at
    // once all passed the check and ran Argon2 (19 MiB each) together.
    if (!byName.tryConsume(1)) {
      throw new ApiException(429, "too many sign-in attempts; wait a minute", null, 60, null);
    }
    if (!byClient.tryConsume(1)) {
      byName.addTokens(1);
      throw new ApiException(429, "too many sign-in attempts; wait a minute", null, 60, null);
    }
    Runnable refund =
        () -> {
          byName.addTokens(1);
          byClient.addTokens(1);
        };
    // The session's opening time is taken before the stored hash is read: a reset that lands
    // during the check then ends this session too (taken after, a sign-in with the old password
    // straddling the reset outlived it).
    Instant opened = now();
    String stored;
    try {
      // Read outside the hashing slots, so that a slow Cassandra does not hold them.
      stored = storedHash(username);
    } catch (RuntimeException e) {
      refund.run();
      throw e;
    }
    boolean ok;
    try {
      if (!hashing.tryAcquire(HASH_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        refund.run();
        throw new ApiException(
            503, "too many sign-ins at once; try again in a moment", null, 2, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      refund.run();
      throw new ApiException(503, "interrupted", null, 2, null);
    }
    try {
      // An unknown name costs the same hash as a known one, so timing does not tell them apart.
      ok = verify(password, stored == null ? dummyHash : stored) && stored != null;
    } catch (RuntimeException e) {
      refund.run();
      throw e;
    } finally {
      hashing.release();
    }
    Optional<Rater> rater = ok ? rater(username) : Optional.empty();
    if (rater.isEmpty() || rater.get().disabled()) {
      throw ApiException.status(401, "wrong username or password"); // the attempt stays charged
    }
    refund.run(); // a sign-in that succeeds costs nothing
    String token = token();
    String csrf = token();
    String tokenHash = sha256(token);
    db.call(
        s ->
            s.execute(
                db.prepare(
                        s,
                        "INSERT INTO rater_sessions (token_hash, username, csrf, created_at)"
                            + " VALUES (?, ?, ?, ?) USING TTL ?")
                    .bind(
                        tokenHash,
                        username,
                        csrf,
                        opened,
                        (int) settings.sessionTtl().toSeconds())));
    Session session = new Session(tokenHash, rater.get(), csrf, opened);
    sessions.put(tokenHash, Optional.of(session));
    return new SignIn(token, session);
  }

  /** The live session of a cookie token, if it is one and its rater may still sign in. */
  Optional<Session> session(String token) {
    if (token == null || token.isEmpty() || token.length() > 100) {
      return Optional.empty();
    }
    String tokenHash = sha256(token);
    Optional<Session> stored =
        sessions.get(
            tokenHash,
            h ->
                db.call(
                    s -> {
                      Row r =
                          s.execute(
                                  db.prepare(
                                          s,
                                          "SELECT username, csrf, created_at FROM rater_sessions"
                                              + " WHERE token_hash = ?")
                                      .bind(h))
                              .one();
                      return r == null
                          ? Optional.<Session>empty()
                          : rater(r.getString("username"))
                              .map(
                                  rt ->
                                      new Session(
                                          h, rt, r.getString("csrf"), r.getInstant("created_at")));
                    }));
    // The account (role, disabled, sessions ended) is looked up afresh, from a cache of at most
    // 30 s (on this instance an update of the account clears it at once).
    return stored.flatMap(
        sn ->
            rater(sn.rater().username())
                .filter(sn::allowedBy)
                .map(r -> new Session(sn.tokenHash(), r, sn.csrf(), sn.createdAt())));
  }

  void signOut(Session session) {
    db.call(
        s ->
            s.execute(
                db.prepare(s, "DELETE FROM rater_sessions WHERE token_hash = ?")
                    .bind(session.tokenHash())));
    sessions.put(session.tokenHash(), Optional.empty());
  }

  /** The name of the first admin, created when there are no raters at all. */
  static final String FIRST_ADMIN = "admin";

  /** What {@link #ensureAdmin} found or did. */
  enum AdminCheck {
    /** An enabled admin exists; nothing was changed. */
    PRESENT,
    /** There were no raters at all: {@code admin} was created. */
    CREATED,
    /**
     * There were raters but no enabled admin: {@code admin} was made an enabled admin again (or
     * created), with the given password.
     */
    RESTORED,
    /** No enabled admin, and no password to give one: nothing was changed. */
    NO_PASSWORD,
    /**
     * There were raters but no enabled admin, and the password cannot be an account's (under {@link
     * RaterSettings#MIN_PASSWORD} or over {@link RaterSettings#MAX_PASSWORD} characters): nothing
     * was changed. The raters can still rate; no one can manage accounts.
     */
    UNUSABLE_PASSWORD,
    /**
     * There were no raters at all, and the password cannot be an account's: nothing was created,
     * and no one can sign in.
     */
    UNUSABLE_PASSWORD_NO_ACCOUNTS
  }

  /**
   * Makes sure someone can manage accounts: with no raters at all, creates {@code admin} with
   * {@code password}; with raters but no enabled admin (every admin disabled or demoted, as two
   * admins demoting each other at the same moment can leave it), restores {@code admin} as an
   * enabled admin with {@code password}. The password is the operator's ({@code
   * rater.admin-password} or the file {@code up} wrote), so this is the way back in that needs
   * access to the machine, not to the app.
   */
  AdminCheck ensureAdmin(String password) {
    List<Rater> everyone = all();
    if (everyone.stream().anyMatch(r -> r.admin() && !r.disabled())) {
      return AdminCheck.PRESENT;
    }
    if (password.isBlank()) {
      return AdminCheck.NO_PASSWORD;
    }
    if (password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
      // Until 2026-12-07 this failed as a bad request, which the app's start logged as Cassandra
      // being away, and it started with no one able to sign in.
      return everyone.isEmpty()
          ? AdminCheck.UNUSABLE_PASSWORD_NO_ACCOUNTS
          : AdminCheck.UNUSABLE_PASSWORD;
    }
    if (everyone.stream().noneMatch(r -> r.username().equals(FIRST_ADMIN))) {
      try {
        create(FIRST_ADMIN, password, "admin", null);
      } catch (ApiException e) {
        if (e.status() != 409) {
          throw e;
        }
        return AdminCheck.PRESENT; // another instance was faster
      }
      return everyone.isEmpty() ? AdminCheck.CREATED : AdminCheck.RESTORED;
    }
    checkPassword(password);
    String hashed = hash(password);
    db.call(
        s -> {
          s.execute(
              db.prepare(
                      s,
                      "UPDATE raters SET role = 'admin', disabled = false, password_hash = ?"
                          + " WHERE username = ?")
                  .bind(hashed, FIRST_ADMIN));
          return null;
        });
    raters.invalidate(FIRST_ADMIN);
    return AdminCheck.RESTORED;
  }

  /** Now, to the millisecond, as Cassandra keeps a timestamp (so that it compares the same). */
  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  /** The stored hash of {@code username}; null for no such rater (or a name no rater can have). */
  private String storedHash(String username) {
    return USERNAME.matcher(username).matches()
        ? db.call(
            s ->
                Optional.ofNullable(
                        s.execute(
                                db.prepare(s, "SELECT password_hash FROM raters WHERE username = ?")
                                    .bind(username))
                            .one())
                    .map(r -> r.getString("password_hash"))
                    .orElse(null))
        : null;
  }

  /**
   * Password hashes computed at once, at most: each takes 19 MiB and a core's worth of work for
   * tens of milliseconds, so a burst of sign-ins waits here rather than exhausting the heap.
   */
  static final int HASHES_AT_ONCE = Math.max(2, Runtime.getRuntime().availableProcessors());

  /** How long a sign-in waits for a hashing slot before answering 503. */
  static final Duration HASH_WAIT = Duration.ofSeconds(10);

  private final java.util.concurrent.Semaphore hashing =
      new java.util.concurrent.Semaphore(HASHES_AT_ONCE, true);

  private Bucket failureBucket(String key, int perMinute) {
    return failures.get(
        key,
        k ->
            Bucket.builder()
                .addLimit(l -> l.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)))
                .build());
  }

  private Rater toRater(Row r) {
    return new Rater(
        r.getString("username"),
        r.getString("role"),
        r.getBoolean("disabled"),
        r.getString("queue") == null ? settings.defaultQueue() : r.getString("queue"),
        r.getInstant("created_at"),
        r.getInstant("sessions_from"));
  }

  private String token() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void checkUsername(String username) {
    if (username == null || !USERNAME.matcher(username).matches()) {
      throw ApiException.badRequest(
          "username", "1 to 64 letters, digits, dots, dashes or underscores");
    }
  }

  static void checkPassword(String password) {
    if (password == null || password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
      throw ApiException.badRequest(
          "password", "at least " + MIN_PASSWORD + " and at most " + MAX_PASSWORD + " characters");
    }
  }

  static void checkRole(String role) {
    if (!"rater".equals(role) && !"admin".equals(role)) {
      throw ApiException.badRequest("role", "must be rater or admin");
    }
  }

  static String checkQueue(String queue) {
    if (queue == null || !RaterSettings.NAME.matcher(queue).matches()) {
      throw ApiException.badRequest("queue", "must match " + RaterSettings.NAME.pattern());
    }
    return queue;
  }
}
