#!/usr/bin/env bash
# Benchmark: fetch + decode + thumbnail + hash throughput of the ingest job's per-image path against
# img2dataset downloading and resizing the same URLs from the same local server
# (results: docs/benchmarks.md, "Fetch, decode, thumbnail and hash throughput").
#   infra/bench/fetch-throughput.sh [COUNT [ROUNDS]]     default 2000 images, 2 rounds
# Environment: IN_FLIGHT (default 64, the job's ingest.fetch.concurrency), THREADS (analysis
# threads and img2dataset processes, default nproc), WARMUP (images in our warm-up pass, default
# 500), WAIT_QUIET=0 to skip waiting for a quiet machine, WAIT_QUIET_MINUTES (default 20), CORPUS
# (default .memescope-bench/fetch-corpus).
#
# Builds core's test classes (FetchPipelineBenchmark), makes .memescope-bench/fetch-venv from
# infra/bench/fetch-requirements.txt (PyPI), writes the corpus with infra/bench/fetch_throughput.py
# (kept for the next run), serves it on 127.0.0.1 from one threaded Python server on a free port,
# waits for a quiet machine (wait_load and wait_idle below), then runs, ROUNDS times: ours (one
# JVM: a warm-up pass, then a timed pass of the job's path and one of img2dataset's share of the
# work), then img2dataset (image_size 256, keep_ratio, files; THREADS processes of
# IN_FLIGHT/THREADS download threads); and last, our fetching alone. Prints the table, with the
# share of the CPU that other processes took during each timed run, and the ratios.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
COUNT="${1:-2000}"
ROUNDS="${2:-2}"
IN_FLIGHT="${IN_FLIGHT:-64}"
WARMUP="${WARMUP:-500}"
WAIT_QUIET_MINUTES="${WAIT_QUIET_MINUTES:-20}"
THREADS="${THREADS:-$(nproc)}"
BENCH="$ROOT/.memescope-bench"
VENV="$BENCH/fetch-venv"
CORPUS="${CORPUS:-$BENCH/fetch-corpus}"
WORK="$(mktemp -d -t fetch-throughput.XXXXXX)"
REQUIREMENTS="infra/bench/fetch-requirements.txt"
PY="$VENV/bin/python"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building core's test classes" >&2
mvn -B -q -ntp -Dstyle.color=never -Dspotless.check.skip=true test-compile -pl core >&2
mvn -B -q -ntp -Dstyle.color=never dependency:build-classpath -pl core -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt >&2

if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" 2>/dev/null; then
  echo "== making $VENV" >&2
  rm -rf "$VENV"
  python3.11 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS" >&2
  cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

echo "== corpus in $CORPUS" >&2
mkdir -p "$CORPUS"
"$PY" infra/bench/fetch_throughput.py generate "$CORPUS" --count "$COUNT"
cat "$CORPUS"/img/* >/dev/null # into the page cache, so no run pays for the disk

"$PY" infra/bench/fetch_throughput.py serve "$CORPUS" --port-file "$WORK/port" &
SERVER_PID=$!
for _ in $(seq 1 100); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
PORT="$(cat "$WORK/port")"
sed "s|^|http://127.0.0.1:$PORT/|" "$CORPUS/files.txt" >"$WORK/urls.txt"
echo "server: http://127.0.0.1:$PORT/ (pid $SERVER_PID), $(wc -l <"$WORK/urls.txt") URLs"

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB," \
  "$(java -version 2>&1 | head -1), $("$PY" --version)"
echo "settings: $IN_FLIGHT images in flight; ours: $THREADS analysis threads;" \
  "img2dataset: $THREADS processes x $((IN_FLIGHT / THREADS)) threads"

# Waiting for a quiet machine, 20 minutes at most in all: first until the 1-minute load average is
# under 0.7 (30 s between checks); then before each tool's run until other processes use under 15 %
# of the CPU over 5 s (the load average would take minutes to forget our own previous run).
WAITED=0
BUDGET=$((WAIT_QUIET_MINUTES * 60))
UNDER_LOAD=""
load1() { cut -d' ' -f1 /proc/loadavg; }
busy_ticks() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
busy_share() { # share of all cores busy over the next 5 s
  local a b; a=$(busy_ticks); sleep 5; b=$(busy_ticks)
  awk -v a="$a" -v b="$b" -v n="$(nproc)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz / 5 / n }'
}
out_of_patience() {
  if ((WAITED >= BUDGET)); then
    UNDER_LOAD="the machine never got quiet within $WAIT_QUIET_MINUTES minutes of waiting: figures taken under load"
    echo "WARNING: $UNDER_LOAD" >&2
    return 0
  fi
  return 1
}
wait_load() {
  [[ "${WAIT_QUIET:-1}" == 0 || -n "$UNDER_LOAD" ]] && return
  while awk -v l="$(load1)" 'BEGIN { exit !(l >= 0.7) }'; do
    out_of_patience && return
    echo "  waiting for a quiet machine: $(uptime)" >&2
    sleep 30
    WAITED=$((WAITED + 30))
  done
}
wait_idle() {
  [[ "${WAIT_QUIET:-1}" == 0 || -n "$UNDER_LOAD" ]] && return
  local share
  while share=$(busy_share) && awk -v s="$share" 'BEGIN { exit !(s >= 0.15) }'; do
    WAITED=$((WAITED + 5))
    out_of_patience && return
    echo "  waiting for a quiet machine: other processes use $share of the CPU ($(uptime | sed 's/.*load/load/'))" >&2
    sleep 10
    WAITED=$((WAITED + 10))
  done
}
wait_load
echo "start: $(uptime)"

CP="core/target/test-classes:core/target/classes:$(cat core/target/test-classpath.txt)"
RESULTS="$WORK/results.txt"
for round in $(seq 1 "$ROUNDS"); do
  wait_idle
  echo "== round $round: Memescope ($(uptime | sed 's/.*load/load/'))" >&2
  java -cp "$CP" io.memescope.core.fetch.FetchPipelineBenchmark "$WORK/urls.txt" \
    --in-flight "$IN_FLIGHT" --threads "$THREADS" --warmup "$WARMUP" --passes full,small \
    --label "ours-$round" --server-pid "$SERVER_PID" | tee -a "$RESULTS"
  wait_idle
  echo "== round $round: img2dataset ($(uptime | sed 's/.*load/load/'))" >&2
  "$PY" infra/bench/fetch_throughput.py img2dataset "$WORK/urls.txt" "$WORK/i2d-out" \
    --processes "$THREADS" --threads "$((IN_FLIGHT / THREADS))" --label "img2dataset-$round" \
    --server-pid "$SERVER_PID" \
    | tee -a "$RESULTS"
done
wait_idle
echo "== fetching alone ($(uptime | sed 's/.*load/load/'))" >&2
java -cp "$CP" io.memescope.core.fetch.FetchPipelineBenchmark "$WORK/urls.txt" \
  --in-flight "$IN_FLIGHT" --threads "$THREADS" --warmup 200 --passes fetch --label "ours" \
  --server-pid "$SERVER_PID" |
  tee -a "$RESULTS"
echo "end: $(uptime)"
"$PY" infra/bench/fetch_throughput.py table "$RESULTS"
[[ -z "$UNDER_LOAD" ]] || echo "WARNING: $UNDER_LOAD"
