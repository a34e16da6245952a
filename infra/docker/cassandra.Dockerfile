# syntax=docker/dockerfile:1
# Cassandra 5.0 with the Prometheus JMX exporter as a Java agent: the node serves its metrics
# (client read/write latency, compaction, dropped messages, load, JVM) on :7070/metrics for the
# dashboard (infra/docker/cassandra-jmx-exporter.yml has the rules and the metric names).
# The build context is this directory, not the repository root:
#   docker build -f infra/docker/cassandra.Dockerfile -t memescope/cassandra:0.1.0-SNAPSHOT infra/docker
# Needs BuildKit (the default builder since Docker 23) for ADD --checksum and --chmod.
FROM cassandra:5.0

# jmx_prometheus_javaagent 1.0.1 is the newest release of the agent on Maven Central: from 1.1.0
# on, the project publishes the agent jar on GitHub releases only (prometheus/jmx_exporter#1115,
# #1267). The checksum pins the jar (it is the SHA-256 of the file whose SHA-1 Maven Central
# lists); a new version needs a new checksum.
ADD --checksum=sha256:7d61f737fd661610ccc14aea79764faa1ea94a340cbc8f0029b3d2edea3d80c1 --chmod=644 \
    https://repo1.maven.org/maven2/io/prometheus/jmx/jmx_prometheus_javaagent/1.0.1/jmx_prometheus_javaagent-1.0.1.jar \
    /opt/jmx_exporter/jmx_prometheus_javaagent.jar
COPY --chmod=644 cassandra-jmx-exporter.yml /opt/jmx_exporter/cassandra.yml

# The image's cassandra-env.sh (/etc/cassandra) ends with JVM_OPTS="$JVM_OPTS $JVM_EXTRA_OPTS", so
# the agent starts with the node, listening on all interfaces, port 7070. nodetool also sources
# cassandra-env.sh but restores its own JVM_OPTS afterwards, so the probes' and preStop's nodetool
# runs do not start a second agent on the same port. Setting JVM_EXTRA_OPTS in a container's
# environment replaces this value: keep the -javaagent option in it.
ENV JVM_EXTRA_OPTS="-javaagent:/opt/jmx_exporter/jmx_prometheus_javaagent.jar=7070:/opt/jmx_exporter/cassandra.yml"
EXPOSE 7070

# Acknowledge a write only once its commit log entry is on disk. The stock `periodic` mode
# acknowledges first, and replay after a crash stops at the last sync marker (written every 100 ms):
# a single node with replication factor 1, as in the compose file, then loses writes it had
# acknowledged (CassandraCrashIT; docs/ARCHITECTURE.md). Clusters whose writes are replicated can
# build with --build-arg COMMITLOG_SYNC=periodic. The grep fails the build if the stock file changes.
ARG COMMITLOG_SYNC=batch
RUN if [ "$COMMITLOG_SYNC" = batch ]; then \
      sed -i -e 's/^commitlog_sync: periodic$/commitlog_sync: batch/' \
             -e '/^commitlog_sync_period:/d' /etc/cassandra/cassandra.yaml \
      && grep -q '^commitlog_sync: batch$' /etc/cassandra/cassandra.yaml \
      && ! grep -q '^commitlog_sync_period:' /etc/cassandra/cassandra.yaml; \
    fi
