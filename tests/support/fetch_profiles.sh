#!/usr/bin/env bash
# Builds the Go workload, runs two instances, and captures all seven profile types
# from their net/http/pprof endpoints into OUTDIR. Used as a CTest fixture: the
# oracle, differential and fuzz tests read real Go profiles from OUTDIR.
#
#   fetch_profiles.sh OUTDIR [CPU_SECONDS]
set -euo pipefail

out=${1:?usage: fetch_profiles.sh OUTDIR [CPU_SECONDS]}
seconds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

bin="$out/workload"
export GOPROXY=off GOFLAGS= GOCACHE="${GOCACHE:-$out/gocache}" CGO_ENABLED=0
(cd "$here/workloads" && go build -o "$bin" .)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start() {  # start NAME ARGS... → sets addr_NAME
  local name=$1; shift
  local fifo="$out/.$name.out"
  rm -f "$fifo"
  "$bin" -addr 127.0.0.1:0 "$@" >"$fifo" 2>"$out/$name.stderr" &
  pids+=($!)
  # Wait (bounded) for the LISTENING line.
  for _ in $(seq 1 200); do
    if grep -q '^LISTENING ' "$fifo" 2>/dev/null; then break; fi
    sleep 0.05
  done
  local addr
  addr=$(sed -n 's/^LISTENING //p' "$fifo" | head -1)
  [[ -n "$addr" ]] || { echo "workload $name did not start" >&2; exit 1; }
  printf -v "addr_$name" '%s' "$addr"
}

start a -busy 1
start b -busy 1 -work-variant v2

fetch() {  # fetch ADDR PATH FILE
  curl -fsS --max-time $((seconds + 30)) -o "$out/$3" "http://$1/debug/pprof/$2"
}

# CPU profiles from both instances in parallel (one CPU profile per process at a time).
fetch "$addr_a" "profile?seconds=$seconds" cpu-a.pb.gz &
cpu_a=$!
fetch "$addr_b" "profile?seconds=$seconds" cpu-b.pb.gz &
cpu_b=$!
wait "$cpu_a"
wait "$cpu_b"
for name in a b; do
  addr_var="addr_$name"; addr=${!addr_var}
  for type in heap allocs goroutine block mutex threadcreate; do
    fetch "$addr" "$type" "$type-$name.pb.gz"
  done
done
# A second allocs snapshot of instance a, for delta tests.
fetch "$addr_a" allocs allocs-a2.pb.gz
ls "$out"/*.pb.gz | wc -l | xargs echo "fetched profiles:"
