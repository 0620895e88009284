#!/usr/bin/env bash
# make bench: builds the corpora if needed, then runs the merge benchmark.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/bench/make_corpus.sh" "$root/$build/bench-data"
python3 "$root/bench/merge_bench.py" --build "$root/$build" --reps "${KPROF_BENCH_REPS:-7}" \
  --out "$root/$build/bench-results/merge.json"
