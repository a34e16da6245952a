#!/usr/bin/env bash
# Benchmark: near-duplicate detection with PerceptualHash against Python imagehash's phash
# (results: docs/benchmarks.md, "Near-duplicate detection").
#   infra/bench/near-dup.sh [WORK_DIR [SEED]]   default: a new temporary directory, seed 5
# Another SEED makes another set (same photos, other memes, crops and captions) and leaves the plot
# alone: the documented figures are seed 5's.
# Makes .memescope-bench/near-dup-venv from infra/bench/near-dup-requirements.txt (PyPI), writes
# the image set with infra/bench/near_dup.py, hashes it with imagehash and with the Java
# NearDupBenchmark (core's test classpath), then prints precision and recall per threshold for
# both and draws docs/img/near-dup.png.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.memescope-bench/near-dup-venv"
REQUIREMENTS="infra/bench/near-dup-requirements.txt"
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" 2>/dev/null; then
  rm -rf "$VENV"
  python3.11 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS" >&2
  cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi
WORK="${1:-$(mktemp -d -t near-dup.XXXXXX)}"

mvn -B -q -ntp -Dstyle.color=never -Dspotless.check.skip=true test-compile -pl core >&2
mvn -B -q -ntp -Dstyle.color=never dependency:build-classpath -pl core -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt >&2

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
SEED="${2:-}"
"$VENV/bin/python" infra/bench/near_dup.py generate "$WORK" ${SEED:+--seed "$SEED"}
java -cp "core/target/test-classes:core/target/classes:$(cat core/target/test-classpath.txt)" \
  io.memescope.core.image.NearDupBenchmark "$WORK"
PLOT=()
[[ -z "$SEED" ]] && PLOT=(--plot docs/img/near-dup.png)
"$VENV/bin/python" infra/bench/near_dup.py evaluate "$WORK" "${PLOT[@]}"
echo "files: $WORK"
