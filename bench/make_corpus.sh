#!/usr/bin/env bash
# Builds the benchmark corpora from the real Go workload (gen mode writes profiles
# with runtime/pprof in a loop; two busy goroutines, 1000 Hz):
#   DIR/cpu/        2,000 CPU profiles of 0.5 s each: ~8 KB gzipped / ~17-20 KB raw,
#                   the size of a 30 s-style profile of a small service (FACTS.md);
#                   200 distinct captures, each present 10 times under its own name
#   DIR/cpu-small/  2,000 CPU profiles of 0.2 s each (~5.5 KB / ~10 KB): 400 distinct
#                   captures × 5; fixed per-file costs weigh most here
#   DIR/heap/       2,000 distinct heap profiles
# Distinct CPU captures are limited because Go needs up to 100 ms to finish each CPU
# profile; 2,000 distinct ones would take 15-25 minutes.
set -euo pipefail
dir=${1:?usage: make_corpus.sh DIR}
total=2000
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
export GOPROXY=off GOFLAGS= GOCACHE="$dir/gocache" CGO_ENABLED=0
(cd "$here/../tests/support/workloads" && go build -o "$dir/workload" .)

cpu_corpus() {  # NAME SECONDS DISTINCT
  local name=$1 seconds=$2 distinct=$3
  if [ "$(ls "$dir/$name" 2>/dev/null | wc -l)" -eq "$total" ]; then return; fi
  rm -rf "${dir:?}/$name" "${dir:?}/$name-distinct"
  mkdir -p "$dir/$name" "$dir/$name-distinct"
  echo "make_corpus: capturing $distinct CPU profiles of ${seconds}s for $name"
  "$dir/workload" -gen-dir "$dir/$name-distinct" -gen-count "$distinct" -gen-kind cpu \
    -gen-seconds "$seconds" -profile-rate 1000 -busy 2
  local i=0
  while [ "$i" -lt "$total" ]; do
    cp "$(printf '%s/%s-distinct/cpu-%05d.pb.gz' "$dir" "$name" $((i % distinct + 1)))" \
      "$(printf '%s/%s/cpu-%05d.pb.gz' "$dir" "$name" $((i + 1)))"
    i=$((i + 1))
  done
}

cpu_corpus cpu 0.5 200
cpu_corpus cpu-small 0.2 400
if [ "$(ls "$dir/heap" 2>/dev/null | wc -l)" -ne "$total" ]; then
  rm -rf "$dir/heap"
  mkdir -p "$dir/heap"
  echo "make_corpus: capturing $total heap profiles"
  "$dir/workload" -gen-dir "$dir/heap" -gen-count "$total" -gen-kind heap -busy 2
fi
for c in cpu cpu-small heap; do
  gz=$(cat "$dir/$c"/*.pb.gz | wc -c)
  echo "make_corpus: $c: $((gz / total)) bytes gzipped per profile on average"
done
