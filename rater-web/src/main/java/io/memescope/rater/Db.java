package io.memescope.rater;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.NodeUnavailableException;
import com.datastax.oss.driver.api.core.connection.ClosedConnectionException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.servererrors.OverloadedException;
import com.datastax.oss.driver.api.core.servererrors.QueryConsistencyException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import io.memescope.core.config.CassandraSettings;
import io.memescope.core.schema.Clients;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rater app's Cassandra session, opened on first use so that the app starts (and answers 503)
 * while Cassandra is down; the driver reconnects by itself once the session exists. Every call goes
 * through {@link #call}, which turns "cannot reach Cassandra" into a 503.
 */
final class Db implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Db.class);
  private final CassandraSettings settings;
  private final Map<String, PreparedStatement> prepared = new ConcurrentHashMap<>();
  private volatile CqlSession session;

  Db(CassandraSettings settings) {
    this.settings = settings;
  }

  <T> T call(Function<CqlSession, T> work) {
    CqlSession s = session();
    try {
      return work.apply(s);
    } catch (AllNodesFailedException
        | DriverTimeoutException
        | NodeUnavailableException
        | ClosedConnectionException
        | UnavailableException
        | QueryConsistencyException
        | OverloadedException e) {
      // Cassandra is down, unreachable, overloaded or short of replicas: worth a retry.
      LOG.warn("Cassandra call failed: {}", e.getMessage());
      throw ApiException.unavailable(e);
    }
    // Anything else (a bad query, a codec) is our fault: a 500 with a log line.
  }

  /** A prepared statement, prepared once per session. */
  PreparedStatement prepare(CqlSession s, String cql) {
    return prepared.computeIfAbsent(cql, s::prepare);
  }

  private CqlSession session() {
    CqlSession s = session;
    if (s != null) {
      return s;
    }
    synchronized (this) {
      if (session == null) {
        try {
          session = Clients.cassandraKeyspace(settings);
        } catch (RuntimeException e) {
          LOG.warn("cannot connect to Cassandra: {}", e.getMessage());
          throw ApiException.unavailable(e);
        }
      }
      return session;
    }
  }

  @Override
  public synchronized void close() {
    if (session != null) {
      session.close();
    }
  }
}
