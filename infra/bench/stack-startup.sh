#!/usr/bin/env bash
# Benchmark: wall-clock time of `memescope up` (all services ready and the schema applied).
#   infra/bench/stack-startup.sh [RUNS]     default 3 runs of each kind
# cold = empty data directories (first start: Kafka format, Cassandra bootstrap, schema created)
# warm = existing data directories (a restart)
# The Milvus venv is installed once beforehand and not counted (see docs/benchmarks.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=${1:-3}
HOME_DIR="$ROOT/.memescope-bench"
MS=("$ROOT/memescope" --home "$HOME_DIR" --config "$ROOT/infra/bench/stack-bench.conf")
trap '"${MS[@]}" down >/dev/null 2>&1 || true' EXIT

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "preparing (build, Milvus venv)..."
"${MS[@]}" up milvus >/dev/null && "${MS[@]}" down >/dev/null
for kind in cold warm; do
  for i in $(seq 1 "$RUNS"); do
    "${MS[@]}" down >/dev/null
    [[ $kind == cold ]] && rm -rf "$HOME_DIR"/{data,logs,conf}
    t=$(seconds "${MS[@]}" up)
    "${MS[@]}" status >/dev/null || { echo "stack not healthy after up" >&2; exit 1; }
    printf '%s run %d: up in %.1f s\n' "$kind" "$i" "$t"
  done
done
