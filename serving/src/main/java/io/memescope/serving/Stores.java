package io.memescope.serving;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.servererrors.QueryValidationException;
import io.memescope.core.config.MemescopeConfig;
import io.memescope.core.schema.Clients;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.exception.ErrorCode;
import io.milvus.v2.exception.MilvusClientException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
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

  private final MemescopeConfig config;
  private volatile MilvusClientV2 milvus;
  private volatile CqlSession cassandra;

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
   * Lite: "unknown enum value" on every call after the restart).
   */
  private void discard(MilvusClientV2 client) {
    synchronized (this) {
      if (milvus == client) {
        milvus = null;
      } else {
        return;
      }
    }
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
    synchronized (this) {
      if (milvus == null) {
        try {
          milvus = Clients.milvus(config.milvus(), Duration.ofSeconds(3), Duration.ofSeconds(10));
        } catch (RuntimeException e) {
          LOG.warn("cannot connect to Milvus at {}: {}", config.milvus().uri(), e.getMessage());
          throw ApiException.unavailable("Milvus", e);
        }
      }
      return milvus;
    }
  }

  private CqlSession cassandraSession() {
    CqlSession session = cassandra;
    if (session != null) {
      return session;
    }
    synchronized (this) {
      if (cassandra == null) {
        try {
          cassandra = Clients.cassandraKeyspace(config.cassandra());
        } catch (RuntimeException e) {
          LOG.warn("cannot connect to Cassandra: {}", e.getMessage());
          throw ApiException.unavailable("Cassandra", e);
        }
      }
      return cassandra;
    }
  }

  @Override
  public synchronized void close() {
    if (milvus != null) {
      milvus.close();
    }
    if (cassandra != null) {
      cassandra.close();
    }
  }
}
