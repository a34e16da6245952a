package io.memescope.rater;

import io.memescope.core.config.ConfigLoader;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.config.RaterSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rater app as a process of the stack: {@code RaterMain CONFIG_FILE}. When there are no raters
 * yet it creates the first admin, {@code admin}, with {@code rater.admin-password} or, when that is
 * empty, the password in {@code <home>/conf/rater-admin-password} that {@code memescope up} writes;
 * when there are raters but no enabled admin, it restores {@code admin} with that password.
 */
public final class RaterMain {
  private static final Logger LOG = LoggerFactory.getLogger(RaterMain.class);

  private RaterMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: RaterMain CONFIG_FILE");
      System.exit(2);
    }
    MemescopeConfig config = new ConfigLoader().optFile(Path.of(args[0])).load();
    RaterApp app = new RaterApp(config);
    Runtime.getRuntime().addShutdownHook(new Thread(app::close));
    // Before the server answers, so that "ready" means the first admin can sign in.
    try {
      switch (app.ensureAdmin(adminPassword(config))) {
        case CREATED -> LOG.info("created the first admin account, {}", Accounts.FIRST_ADMIN);
        case RESTORED ->
            LOG.warn(
                "no enabled admin was left: restored the account {} as an admin, with the"
                    + " configured admin password",
                Accounts.FIRST_ADMIN);
        case NO_PASSWORD ->
            LOG.warn(
                "no enabled admin, and no admin password to create one with (rater.admin-password"
                    + " or {})",
                RaterSettings.adminPasswordFile(config.home()));
        case UNUSABLE_PASSWORD ->
            LOG.error(
                "the admin password in {} cannot be an account's ({} to {} characters), and no"
                    + " enabled admin is left: the raters can rate, but no one can manage accounts;"
                    + " {}",
                passwordSource(config),
                RaterSettings.MIN_PASSWORD,
                RaterSettings.MAX_PASSWORD,
                passwordFix(config));
        case UNUSABLE_PASSWORD_NO_ACCOUNTS -> {
          // Started, the app would let no one sign in.
          LOG.error(
              "the admin password in {} cannot be an account's ({} to {} characters): {}",
              passwordSource(config),
              RaterSettings.MIN_PASSWORD,
              RaterSettings.MAX_PASSWORD,
              passwordFix(config));
          System.exit(2);
        }
        case PRESENT -> {}
      }
    } catch (ApiException e) {
      // Cassandra is not reachable yet: the next start checks again.
      LOG.warn("could not check for an admin account: {}", e.getMessage());
    }
    int port = app.start(config.rater().host(), config.rater().port());
    LOG.info("rater app on http://{}:{}/", config.rater().host(), port);
  }

  /** Where the first admin's password comes from, for messages: the setting or the file. */
  static String passwordSource(MemescopeConfig config) {
    return config.rater().adminPassword().isBlank()
        ? RaterSettings.adminPasswordFile(config.home()).toString()
        : "rater.admin-password";
  }

  /** How to give the first admin a usable password, for messages. */
  static String passwordFix(MemescopeConfig config) {
    return config.rater().adminPassword().isBlank()
        ? "delete the file, and `memescope up` generates a new one"
        : "set another there and start the app again";
  }

  static String adminPassword(MemescopeConfig config) throws IOException {
    if (!config.rater().adminPassword().isBlank()) {
      return config.rater().adminPassword().strip();
    }
    Path file = RaterSettings.adminPasswordFile(config.home());
    return Files.isRegularFile(file) ? Files.readString(file).strip() : "";
  }
}
