package io.memescope.core.config;

import java.time.Duration;

/** The Cassandra cluster Memescope talks to, and the local node when the stack runs one. */
public record CassandraSettings(
    String host,
    int nativePort,
    int storagePort,
    int jmxPort,
    long heapMegabytes,
    String keyspace,
    int replicationFactor,
    String localDatacenter,
    Duration requestTimeout) {

  static CassandraSettings read(SettingsReader r) {
    String keyspace = r.nonBlank("cassandra.keyspace");
    if (!keyspace.matches("[a-zA-Z][a-zA-Z0-9_]{0,47}")) {
      r.problem(
          "cassandra.keyspace",
          "'" + keyspace + "' is not a valid keyspace name (letters, digits, _; at most 48)");
    }
    return new CassandraSettings(
        r.host("cassandra.host"),
        r.port("cassandra.native-port"),
        r.port("cassandra.storage-port"),
        r.port("cassandra.jmx-port"),
        r.megabytesAtLeast("cassandra.heap", 256),
        keyspace,
        r.intInRange("cassandra.replication-factor", 1, 100),
        r.nonBlank("cassandra.local-datacenter"),
        r.positiveDuration("cassandra.request-timeout"));
  }
}
