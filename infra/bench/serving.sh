#!/usr/bin/env bash
# Benchmark: a 3-term weighted text query through the serving API against a direct Milvus search
# with the same vector (latency p50/p99 and throughput), and recall@10 of the index settings
# against exact search (issue 6). Runs on the test stack (started if needed; stop it with
# ./memescope --home .memescope-test --config infra/src/test/resources/test-stack.conf down).
#   infra/bench/serving.sh [VECTORS] [RECALL_DIMENSION] [MILVUS_PORT]   defaults 100000 512, the stack's Milvus
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package -pl serving -am >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
# Extra JVM options in BENCH_OPTS, e.g. BENCH_OPTS=-Dset.serving.metadata-cache=0s for any setting.
java -Dmemescope.root="$ROOT" -Xmx4g ${BENCH_OPTS:-} \
  -cp "serving/target/test-classes:serving/target/classes:$(cat serving/target/test-classpath.txt)" \
  io.memescope.serving.ServingBenchmark "${1:-100000}" "${2:-512}" ${3:-}
