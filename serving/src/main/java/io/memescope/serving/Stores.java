package io.memescope.serving;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.servererrors.QueryValidationException;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.client.RetryConfig;
import io.milvus.v2.exception.ErrorCode;
import io.milvus.v2.exception.MilvusClientException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections to Milvus and Cassandra, opened on first use, so that the server starts (and answers
 * 503) while a store is down, and recovers by itself when it returns: both clients reconnect on
 * their own once built. Every store call goes through {@link #milvus(Function)} or {@link
 * #cassandra(Function)}, which turn "cannot reach the store" into {@link ApiException#unavailable}.
 */
final class Stores implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Stores.class);

  /**
   * The SDK retries an unavailable server 75 times by default, backing off to 3 s, with no overall
   * limit: about 3.5 minutes before a search learned that Milvus was down. A search is answered
   * within seconds or not at all, so a call is retried for at most 2 s.
   */
  static final RetryConfig RETRY =
      RetryConfig.builder().maxRetryTimes(5).maxRetryTimeoutMs(2_000).build();

  /** How long after a failed connect every call is answered 503 without another try. */
  static final Duration CONNECT_BACKOFF = Duration.ofSeconds(2);

  /**
   * How long a discarded client stays open: calls already made on it finish (with their answer or
   * their own error) rather than being cut off by the close; longer than a call's deadline.
   */
  static final Duration CLOSE_GRACE = Duration.ofSeconds(15);

  private final MemescopeConfig config;
  private volatile MilvusClientV2 milvus;
  private volatile CqlSession cassandra;

  /**
   * Each store's connects under a lock of its own: Cassandra's took the Milvus lock too, so with
   * Cassandra unreachable a search waited for each queued Cassandra connect before reaching Milvus.
   */
  private final Object milvusLock = new Object();

  private final Object cassandraLock = new Object();
  private volatile long milvusFailedAt = Long.MIN_VALUE;
  private volatile long cassandraFailedAt = Long.MIN_VALUE;
  private final java.util.concurrent.ScheduledExecutorService closer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "milvus-client-closer");
            t.setDaemon(true);
            return t;
          });

  Stores(MemescopeConfig config) {
    this.config = config;
  }

  <T> T milvus(Function<MilvusClientV2, T> call) {
    MilvusClientV2 client = milvusClient();
    try {
      return call.apply(client);
    } catch (MilvusClientException e) {
      if (e.getErrorCode() == ErrorCode.RPC_ERROR
          || e.getErrorCode() == ErrorCode.TIMEOUT
          || e.getErrorCode() == ErrorCode.CLIENT_ERROR
          || e.getErrorCode() == ErrorCode.SERVER_ERROR) {
        LOG.warn("Milvus call failed: {}", e.getMessage());
        discard(client);
        throw ApiException.unavailable("Milvus", e);
      }
      throw e;
    } catch (RuntimeException e) {
      if (e.getClass().getName().startsWith("io.grpc.")) { // a transport error the SDK let through
        LOG.warn("Milvus call failed: {}", e.getMessage());
        discard(client);
        throw ApiException.unavailable("Milvus", e);
      }
      throw e;
    }
  }

  <T> T cassandra(Function<CqlSession, T> call) {
    CqlSession session = cassandraSession();
    try {
      return call.apply(session);
    } catch (CompletionException e) {
      if (e.getCause() instanceof DriverException d) {
        throw translate(d);
      }
      throw e;
    } catch (DriverException e) {
      throw translate(e);
    }
  }

  /**
   * Drops a client after a failure, so that the next call connects afresh. A client that lived
   * through a Milvus restart can keep failing on state cached from the old server (seen with Milvus
   * Lite: "unknown enum value" on every call after the restart). It is closed {@link #CLOSE_GRACE}
   * later: closing it at once (the SDK shuts its channel down now) failed every other request's
   * call on it, which the SDK then retried against the closed channel.
   */
  private void discard(MilvusClientV2 client) {
    synchronized (milvusLock) {
      if (milvus == client) {
        milvus = null;
      } else {
        return;
      }
    }
    try {
      closer.schedule(() -> close(client), CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      close(client); // the server is stopping
    }
  }

  private static void close(MilvusClientV2 client) {
    try {
      client.close();
    } catch (RuntimeException e) {
      LOG.debug("closing a failed Milvus client: {}", e.toString());
    }
  }

  /** A Cassandra failure that is the store's state, not our query's fault, is a 503. */
  static RuntimeException translate(DriverException e) {
    if (e instanceof QueryValidationException) {
      return e;
    }
    LOG.warn("Cassandra call failed: {}", e.getMessage());
    return ApiException.unavailable("Cassandra", e);
  }

  private MilvusClientV2 milvusClient() {
    MilvusClientV2 client = milvus;
    if (client != null) {
      return client;
    }
    refuseWhileBackingOff("Milvus", milvusFailedAt);
    synchronized (milvusLock) {
      if (milvus == null) {
        // A caller that waited here while another one's connect failed does not try again: with
        // Milvus down, each try takes the connect timeout, and they queued one after another.
        refuseWhileBackingOff("Milvus", milvusFailedAt);
        try {
          MilvusClientV2 fresh =
              Clients.milvus(config.milvus(), Duration.ofSeconds(3), Duration.ofSeconds(10));
          fresh.retryConfig(RETRY);
          milvus = fresh;
        } catch (RuntimeException e) {
          milvusFailedAt = System.nanoTime();
          LOG.warn("cannot connect to Milvus at {}: {}", config.milvus().uri(), e.getMessage());
          throw ApiException.unavailable("Milvus", e);
        }
      }
      return milvus;
    }
  }

  private static void refuseWhileBackingOff(String store, long failedAt) {
    if (failedAt != Long.MIN_VALUE && System.nanoTime() - failedAt < CONNECT_BACKOFF.toNanos()) {
      throw ApiException.unavailable(store, new IllegalStateException(BACKING_OFF));
    }
  }

  /** The cause of a 503 answered without a connect, while backing off. */
  static final String BACKING_OFF = "a connect failed less than 2 s ago";

  private CqlSession cassandraSession() {
    CqlSession session = cassandra;
    if (session != null) {
      return session;
    }
    refuseWhileBackingOff("Cassandra", cassandraFailedAt);
    synchronized (cassandraLock) {
      if (cassandra == null) {
        // As for Milvus: with Cassandra unreachable each try takes the driver's connect timeout,
        // and requests queued here one after another.
        refuseWhileBackingOff("Cassandra", cassandraFailedAt);
        try {
          cassandra = Clients.cassandraKeyspace(config.cassandra());
        } catch (RuntimeException e) {
          cassandraFailedAt = System.nanoTime();
          LOG.warn("cannot connect to Cassandra: {}", e.getMessage());
          throw ApiException.unavailable("Cassandra", e);
        }
      }
      return cassandra;
    }
  }

  @Override
  public void close() {
    closer.shutdown();
    synchronized (milvusLock) {
      if (milvus != null) {
        milvus.close();
      }
    }
    synchronized (cassandraLock) {
      if (cassandra != null) {
        cassandra.close();
      }
    }
  }
}
