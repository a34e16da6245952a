#!/usr/bin/env bash
# Benchmark of the rating page (issue 7): time from the last keypress of a pair to the next pair
# fully shown (both images decoded and painted), measured by the page in headless Chromium while
# rater-bench.mjs rates PAIRS pairs by keyboard; half of them queued, half random. Runs on the
# test stack (started if needed; stop it with
# ./memescope --home .memescope-test --config infra/src/test/resources/test-stack.conf down).
#   infra/bench/rater.sh [PAIRS]   default 200
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
"$ROOT/infra/bin/ensure-chromium"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package -pl rater-web -am >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
java -Dmemescope.root="$ROOT" -Xmx1g \
  -cp "rater-web/target/test-classes:rater-web/target/classes:$(cat rater-web/target/test-classpath.txt)" \
  io.memescope.rater.RaterBenchmark "${1:-200}"
