#!/usr/bin/env bash
# Benchmark: the smallest heap that decodes a large image as the ingest job does, for its
# thumbnails and for the model (results: docs/benchmarks.md, "Heap to decode a large image").
#   infra/bench/decode-heap.sh [SIDE [HEAPS]]   default: 8000 (64 megapixels), "1536 1024 768 512 384 256"
# Writes a JPEG, an RGBA PNG, a palette PNG and a GIF of SIDE x SIDE pixels (DecodeHeapBenchmark
# generate), then decodes each once per heap size in a fresh JVM (-Xmx, the parallel collector as
# on the TaskManagers) and prints what happened: ok, refused by the decoding budget (half the
# heap, DecodeMemory), or out of memory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SIDE="${1:-8000}"
HEAPS="${2:-1536 1024 768 512 384 256}"
mvn -B -q -ntp -Dstyle.color=never -Dspotless.check.skip=true test-compile -pl core >&2
mvn -B -q -ntp -Dstyle.color=never dependency:build-classpath -pl core -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt >&2
CP="core/target/test-classes:core/target/classes:$(cat core/target/test-classpath.txt)"
WORK="$(mktemp -d -t decode-heap.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with changes)')"
java -cp "$CP" io.memescope.core.embed.DecodeHeapBenchmark generate "$WORK" "$SIDE"
printf '%-12s %-10s' file use
for heap in $HEAPS; do printf ' %-10s' "${heap}m"; done
echo
for file in photo.jpg alpha.png palette.png palette.gif; do
  for use in thumbnails embed; do
    printf '%-12s %-10s' "$file" "$use"
    for heap in $HEAPS; do
      out="$(java -Xmx"${heap}"m -XX:+UseParallelGC -cp "$CP" \
        io.memescope.core.embed.DecodeHeapBenchmark run "$WORK/$file" "$use" models/tiny 2>&1 | tail -1)"
      case "$out" in
        ok) printf ' %-10s' ok ;;
        refused:*) printf ' %-10s' refused ;;
        out-of-memory) printf ' %-10s' OOM ;;
        *) printf ' %-10s' "error"; echo "$out" >&2 ;;
      esac
    done
    echo
  done
done
