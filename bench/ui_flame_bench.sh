#!/usr/bin/env bash
# Flame-graph smoothness of the web UI against `go tool pprof -http`'s flame graph, both
# in Debian's chromium, on a real Go allocs profile with ~21,800 flame-graph nodes (the
# workload's -gen-kind widetree). See bench/ui_flame_bench.mjs for what is measured.
#
#   bench/ui_flame_bench.sh BUILD_DIR [RESULTS.json]
#
# Builds the workload into BUILD_DIR/bench-data/ and writes widetree.pb.gz there; both are
# reused, the binary until a workload source changes, the profile while it is younger
# than 30 minutes (the UI is opened on the last
# hour, and the profile's own time is its time in kprof). KPROF_BENCH_REPS (default 5)
# repetitions, peer and kprof alternating first.
set -euo pipefail

build=$(cd "${1:?usage: ui_flame_bench.sh BUILD_DIR [RESULTS.json]}" && pwd)
results=${2:-$build/bench-results/ui_flame.json}
here=$(cd "$(dirname "$0")" && pwd)
reps=${KPROF_BENCH_REPS:-5}
data="$build/bench-data"
mkdir -p "$data"

export GOPROXY=off GOFLAGS= GOCACHE="${GOCACHE:-$data/gocache}" CGO_ENABLED=0
workloads="$here/../tests/support/workloads"
if [[ ! -x "$data/workload" || -n "$(find "$workloads" -name '*.go' -newer "$data/workload")" ]]; then
  (cd "$workloads" && nice -n 10 go build -o "$data/workload" .)
  rm -f "$data/widetree.pb.gz"
fi
if [[ -z "$(find "$data" -maxdepth 1 -name widetree.pb.gz -mmin -30)" ]]; then
  "$data/workload" -gen-dir "$data" -gen-kind widetree
fi

nice -n 10 node "$here/ui_flame_bench.mjs" --kprof "$build/apps/kprof/kprof" --web-dir "$build/web" \
  --profile "$data/widetree.pb.gz" --out "$results" --reps "$reps"
