#!/usr/bin/env bash
# Benchmark of the quality model's trainer (issue 8), with a simulated rater and no stack:
#  1. active learning (the default strategy, `design`) against random pairs: labels needed
#     to reach 90 % of the accuracy reached with all labels, over 5 seeds; writes
#     docs/img/active-learning.png and target/active-learning/results.json (module trainer);
#  2. training throughput on the CPU (pairs/s) for a few model and batch sizes.
#   infra/bench/active-learning.sh [key=value ...]   passed to ActiveLearningBenchmark (see its doc)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package -pl trainer -am >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2 " GiB"}'), $(java -version 2>&1 | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
CP="trainer/target/test-classes:trainer/target/classes:$(cat trainer/target/test-classpath.txt)"
JAVA=(java -Djava.awt.headless=true -Dmemescope.root="$ROOT" -Xmx2g -cp "$CP")
echo "## active learning vs random"
time "${JAVA[@]}" io.memescope.trainer.bench.ActiveLearningBenchmark \
  out=trainer/target/active-learning png=docs/img/active-learning.png "$@"
echo "## training throughput"
"${JAVA[@]}" io.memescope.trainer.bench.TrainingThroughput 4000 3
