#!/usr/bin/env bash
# Builds the benchmark corpora from the real Go workload (gen mode writes profiles
# with runtime/pprof in a loop):
#   DIR/cpu/   2,000 CPU profiles: DISTINCT real captures (0.2 s each at 1000 Hz,
#              two busy goroutines), each present COPIES times under its own name
#   DIR/heap/  2,000 distinct heap profiles
# Generating 2,000 distinct CPU profiles would take ~10 minutes (Go needs up to
# 100 ms to finish each profile), so the CPU corpus repeats fewer captures.
set -euo pipefail
dir=${1:?usage: make_corpus.sh DIR}
distinct=${KPROF_BENCH_CPU_DISTINCT:-400}
total=2000
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
export GOPROXY=off GOFLAGS= GOCACHE="$dir/gocache" CGO_ENABLED=0
(cd "$here/../tests/support/workloads" && go build -o "$dir/workload" .)

if [ "$(ls "$dir/cpu" 2>/dev/null | wc -l)" -ne "$total" ]; then
  rm -rf "$dir/cpu" "$dir/cpu-distinct"
  mkdir -p "$dir/cpu" "$dir/cpu-distinct"
  echo "make_corpus: capturing $distinct CPU profiles (~$((distinct * 3 / 10)) s)"
  "$dir/workload" -gen-dir "$dir/cpu-distinct" -gen-count "$distinct" -gen-kind cpu \
    -gen-seconds 0.2 -profile-rate 1000 -busy 2
  i=0
  while [ "$i" -lt "$total" ]; do
    src=$(printf '%s/cpu-distinct/cpu-%05d.pb.gz' "$dir" $((i % distinct + 1)))
    cp "$src" "$(printf '%s/cpu/cpu-%05d.pb.gz' "$dir" $((i + 1)))"
    i=$((i + 1))
  done
fi
if [ "$(ls "$dir/heap" 2>/dev/null | wc -l)" -ne "$total" ]; then
  rm -rf "$dir/heap"
  mkdir -p "$dir/heap"
  echo "make_corpus: capturing $total heap profiles"
  "$dir/workload" -gen-dir "$dir/heap" -gen-count "$total" -gen-kind heap -busy 2
fi
echo "make_corpus: cpu $(du -sh "$dir/cpu" | cut -f1), heap $(du -sh "$dir/heap" | cut -f1)"
