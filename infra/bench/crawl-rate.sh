#!/usr/bin/env bash
# Benchmark: crawl rate (records published per second) of a Reddit-shaped listing served on
# loopback, into the test stack's Kafka and Cassandra (started if needed; stop it afterwards with
# ./memescope --home .memescope-test --config infra/src/test/resources/test-stack.conf down).
#   infra/bench/crawl-rate.sh [POSTS] [RUNS]      default 10000 posts, 3 runs
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package -pl crawler -am >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
java -Dmemescope.root="$ROOT" \
  -cp "crawler/target/test-classes:crawler/target/classes:$(cat crawler/target/test-classpath.txt)" \
  io.memescope.crawler.CrawlRateBenchmark "${1:-10000}" "${2:-3}"
