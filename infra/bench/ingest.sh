#!/usr/bin/env bash
# Benchmark: the ingest job end to end against the embedder alone, and the TaskManager's heap after
# 1,000 and after all images (issue 5). Runs on the test stack (started if needed; stop it with
# ./memescope --home .memescope-test --config infra/src/test/resources/test-stack.conf down).
#   infra/bench/ingest.sh [IMAGES [WARMUP]]   defaults 10000 and 1000 (other images indexed before
#                                             the timed run; 0 times a freshly submitted job)
# Environment: HELD_BYTES (e.g. 2047m) sets the job's ingest.fetch.held-bytes, to compare.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package -pl flink-jobs -am >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
JAR="$(ls -t flink-jobs/target/*-job.jar | head -1)" # the newest: an older version's may be left beside it
CP="flink-jobs/target/test-classes:flink-jobs/target/classes:$(cat flink-jobs/target/test-classpath.txt)"
# The embedder alone with libtorch's own choice of threads (one per core), for comparison.
echo "## the embedder alone, libtorch's default threads"
env -u OMP_NUM_THREADS java -Dmemescope.root="$ROOT" -Dmemescope.bench.alone-only=true -cp "$CP" \
  io.memescope.flink.ingest.IngestBenchmark "${1:-10000}"
# Then both with the threads the stack gives its processes (model.torch-threads, 1 by default;
# the benchmark warns when the TaskManager's differ).
echo "## the embedder alone and the job, the stack's libtorch threads"
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" java -Dmemescope.root="$ROOT" -Dmemescope.jobJar="$JAR" \
  ${HELD_BYTES:+-Dmemescope.bench.held-bytes="$HELD_BYTES"} \
  -cp "$CP" io.memescope.flink.ingest.IngestBenchmark "${1:-10000}" "${2:-1000}"
