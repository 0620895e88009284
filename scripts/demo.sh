#!/usr/bin/env bash
# make run: kprof server with the embedded store, fed real profiles.
#
# Starts two Go workloads (versions v1 and v2 of a "checkout" service), the kprof
# server on 127.0.0.1:7070, and a feeding loop that scrapes all seven profile types
# from each workload every 15 s and uploads them through the profefe API — the job
# the collector (kprof agent) will take over. Ctrl-C stops everything.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
kprof="$root/$build/apps/kprof/kprof"
out="$root/out/run"
port=${KPROF_PORT:-7070}
server="http://127.0.0.1:$port"
mkdir -p "$out"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

export GOPROXY=off GOFLAGS= GOCACHE="$out/gocache" CGO_ENABLED=0
(cd "$root/tests/support/workloads" && go build -o "$out/workload" .)

start_workload() {  # NAME ARGS... → prints the address
  local name=$1; shift
  "$out/workload" -addr 127.0.0.1:0 "$@" >"$out/$name.addr" 2>"$out/$name.log" &
  pids+=($!)
  for _ in $(seq 1 200); do
    grep -q '^LISTENING ' "$out/$name.addr" 2>/dev/null && break
    sleep 0.05
  done
  sed -n 's/^LISTENING //p' "$out/$name.addr"
}
addr_v1=$(start_workload v1 -busy 1 -work-variant v1)
addr_v2=$(start_workload v2 -busy 1 -work-variant v2)

"$kprof" server --listen "127.0.0.1:$port" --data-dir "$out/data" 2>"$out/server.log" &
server_pid=$!
pids+=($server_pid)
for _ in $(seq 1 200); do
  grep -q 'listening on' "$out/server.log" 2>/dev/null && break
  sleep 0.05
done
grep -q 'listening on' "$out/server.log" || { cat "$out/server.log"; exit 1; }

feed() {  # ADDR VERSION: one scrape of every type, uploaded to the server
  local addr=$1 version=$2
  local labels="namespace=demo,deployment=checkout,version=$version,pod=checkout-$version-0"
  curl -fsS -o "$out/cpu-$version.pb.gz" "http://$addr/debug/pprof/profile?seconds=10" || return 0
  curl -fsS -o /dev/null -X POST --data-binary @"$out/cpu-$version.pb.gz" \
    "$server/api/0/profiles?service=checkout&type=cpu&labels=$labels" || true
  for type in heap allocs goroutine block mutex threadcreate; do
    curl -fsS "http://$addr/debug/pprof/$type" -o "$out/$type-$version.pb.gz" || continue
    curl -fsS -o /dev/null -X POST --data-binary @"$out/$type-$version.pb.gz" \
      "$server/api/0/profiles?service=checkout&type=$type&labels=$labels" || true
  done
}
(while true; do feed "$addr_v1" v1 & feed "$addr_v2" v2 & wait; sleep 5; done) &
pids+=($!)

echo "kprof server is running with the embedded store in $out/data"
echo "Feeding it profiles from two Go workloads every 15 s (first CPU profiles in ~10 s)."
echo
echo "  Merged CPU profile, as go tool pprof reads it:"
echo "    go tool pprof -top '$server/api/0/profiles/merge?service=checkout&type=cpu&from=2000-01-01T00:00:00&to=2100-01-01T00:00:00'"
echo "  Fleet-wide top functions:   $server/api/v1/top?type=cpu&from=now-1h"
echo "  Flame graph JSON:           $server/api/v1/merge?type=cpu&service=checkout&format=flame"
echo "  What v2 spends more on:     $server/api/v1/diff?type=cpu&service=checkout&base_query={version=\"v1\"}&query={version=\"v2\"}"
echo "  Metrics:                    $server/metrics"
echo
echo "Ctrl-C stops the server, the workloads and the feeder."
wait "$server_pid"
