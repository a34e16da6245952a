#!/usr/bin/env bash
# Benchmark: the de-duplication operator's one subtask on RocksDB, at several index sizes (issue 9,
# docs/scaling.md M4). No stack needed: the unchanged Deduplicator runs on Flink's operator test
# harness with the embedded RocksDB state backend, its state under flink-jobs/target/dedup-bench
# (removed after each size; 10^7 images take about 2 GB while they run).
#   infra/bench/dedup.sh [SIZES] [CANDIDATES] [ROUNDS] [DISTANCE] [TAKEDOWNS]
#   defaults: 10000,100000,1000000  20000  5  6  0
# JAVA_OPTS adds JVM flags, e.g. -Ddedup.near=0.1 -Ddedup.exact=0.05 -Ddedup.rocksdb-memory=256mb.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package -pl flink-jobs -am >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(java -version 2>&1 | head -1)"
# shellcheck disable=SC2086
java -Xmx4g ${JAVA_OPTS:-} \
  -cp "flink-jobs/target/test-classes:flink-jobs/target/classes:$(cat flink-jobs/target/test-classpath.txt)" \
  io.memescope.flink.ingest.DedupBenchmark "$@"
