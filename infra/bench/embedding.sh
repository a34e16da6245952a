#!/usr/bin/env bash
# Benchmark: CLIP encoder throughput on CPU with JMH (results: docs/benchmarks.md).
#   infra/bench/embedding.sh [FULL_MODEL_DIR]
# Always measures the committed tiny model. With FULL_MODEL_DIR (a full-size ViT-B-32, e.g. made by
#   python infra/models/export_openclip.py --model ViT-B-32 --pretrained random --out /tmp/vitb-random
# random weights cost the same compute as real ones) it measures that model too.
# Two layouts on this 2-core machine: one caller thread with libtorch using both cores, and two
# caller threads (two predictors) with one libtorch thread each.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true package -pl infra/benchmarks -am >&2
CP="infra/benchmarks/target/classes:$(cat infra/benchmarks/target/classpath.txt)"
JMH=(-f 1 -wi 1 -i 3 -w 3s -r 4s -rf json)
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(java -version 2>&1 | head -1)"

run() { # name, model, batches, threads, workers, torch threads, methods
  echo "== $1: model $2, batch $3, $4 caller thread(s), $5 predictor(s), $6 libtorch thread(s)"
  java -Dai.djl.pytorch.num_threads="$6" -Dai.djl.pytorch.num_interop_threads=1 -cp "$CP" \
    org.openjdk.jmh.Main "EmbeddingBenchmark.($7)" "${JMH[@]}" -rff "/tmp/jmh-$1.json" \
    -t "$4" -p model="$2" -p batch="$3" -p workers="$5" 2>&1 | grep -E "^(Benchmark|EmbeddingBenchmark)"
}
run tiny-1x2 models/tiny 1,8,32 1 1 2 "imageTower|texts|preprocess"  # and decodeAndPreprocess
run tiny-2x1 models/tiny 1,8,32 2 2 1 "imageTower|texts"
if [[ -n "${1:-}" ]]; then
  run full-1x2 "$1" 1,8 1 1 2 "imageTower|texts"
  run full-2x1 "$1" 1,8 2 2 1 "imageTower|texts"
fi
