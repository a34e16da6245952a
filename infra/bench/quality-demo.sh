#!/usr/bin/env bash
# The quality loop on the running stack (`./memescope up` with an indexed corpus), with a
# simulated rater who prefers brighter images: rate PAIRS pairs through the rater API, train and
# publish, then measure how well the stored quality orders the index by brightness.
#   infra/bench/quality-demo.sh [PAIRS]   default 150
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.memescope-bench/demo-venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pillow==13.0.0
fi
"$VENV/bin/python" infra/bench/quality_demo.py rate --pairs "${1:-150}"
./memescope train run --publish --no-progress
sleep 20 # the re-scoring job
"$VENV/bin/python" infra/bench/quality_demo.py check
