#!/usr/bin/env bash
# The agent at fleet scale: one `kprof agent` scraping TARGETS targets (a farm of
# loopback addresses serving real captured Go profiles) every 10 s — a 5 s CPU profile,
# heap and allocs (both delta'd) from each — and delivering to a sink. Measures the
# agent's CPU (from /proc over a steady window) and its scrape-lag percentiles, then runs
# a peer in the same way: a goroutine-per-target Go scraper doing the same scrapes and
# posting the bytes unchanged (what simple Go collectors do), for a CPU ratio.
#
#   bench/agent_bench.sh BUILD_DIR [TARGETS] [SECONDS] [RESULTS_FILE]
set -euo pipefail

build=$(cd "${1:?usage: agent_bench.sh BUILD_DIR [TARGETS] [SECONDS] [RESULTS]}" && pwd)
targets=${2:-2000}
seconds=${3:-60}
results=${4:-$build/bench-agent.txt}
here=$(cd "$(dirname "$0")" && pwd)
kprof="$build/apps/kprof/kprof"
testdata="$build/testdata"
[[ -f "$testdata/heap-a.pb.gz" ]] || bash "$here/../tests/support/fetch_profiles.sh" "$testdata" 3
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

export GOPROXY=off GOFLAGS= GOCACHE="${GOCACHE:-$build/gocache}" CGO_ENABLED=0
(cd "$here/farm" && go build -o "$build/bench-farm" .)

wait_line() {  # wait_line FILE PATTERN → prints the first matching line
  for _ in $(seq 1 600); do
    if grep -q "$2" "$1" 2>/dev/null; then grep -m1 "$2" "$1"; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

"$build/bench-farm" -profiles "$testdata" -base 127.3.0.1 -count "$targets" -port 6060 \
  -sink 127.0.0.1:0 >"$work/farm.out" 2>"$work/farm.err" &
pids+=($!)
sink=$(wait_line "$work/farm.out" '^LISTENING' | sed 's/.*sink=\([^ ]*\).*/\1/')

{
  echo "targets:"
  python3 - "$targets" <<'PY'
import ipaddress, sys
base = ipaddress.IPv4Address("127.3.0.1")
for i in range(int(sys.argv[1])):
    print(f"  - service: farm\n    url: http://{base + i}:6060\n    labels: {{target: t{i}}}")
PY
} >"$work/targets.yaml"

received() { curl -fsS "http://$sink/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])'; }

measure() {  # measure PID → "CORES PROFILES_PER_SECOND" over $seconds after a 25 s warm-up
  local pid=$1
  sleep 25  # past the first cycle, whose cumulative scrapes are baselines
  local t0 c0 r0 t1 c1 r1
  t0=$(date +%s.%N); c0=$(cpu_ticks "$pid"); r0=$(received)
  sleep "$seconds"
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid"); r1=$(received)
  python3 -c "d = $t1 - $t0; print(f'{($c1 - $c0) / $hz / d:.3f} {($r1 - $r0) / d:.1f}')"
}

# --- kprof agent
"$kprof" agent --no-kubernetes --targets-file "$work/targets.yaml" --server "http://$sink" \
  --types cpu,heap,allocs --interval 10s --cpu-seconds 5 --max-concurrent 4000 \
  --spool-dir "$work/spool" --metrics-listen 127.0.0.1:0 >"$work/agent.out" 2>"$work/agent.err" &
agent=$!
pids+=($agent)
metrics=$(wait_line "$work/agent.err" 'metrics on' | sed 's#.*http://\([^/]*\)/metrics.*#\1#')
read -r agent_cores agent_rate <<<"$(measure "$agent")"
agent_rss=$(awk '/VmHWM/{print $2}' "/proc/$agent/status")
lag=$(curl -fsS "http://$metrics/status" | python3 -c '
import json, sys
d = json.load(sys.stdin); l = d["lag_seconds"]; s = d["scrapes"]
print("%.4f %.4f %.4f %.4f %d %d %d" % (l["p50"], l["p90"], l["p99"], l["max"], s["finished"], s["failed"], s["skipped"]))')
read -r p50 p90 p99 lmax finished failed skipped <<<"$lag"
kill "$agent"; wait "$agent" 2>/dev/null || true

# --- peer: goroutine-per-target Go scraper, same scrapes, no deltas
"$build/bench-farm" -peer -base 127.3.0.1 -count "$targets" -port 6060 \
  -peer-sink "http://$sink" -peer-types cpu,heap,allocs -peer-interval 10s -peer-cpu-seconds 5 \
  >"$work/peer.out" 2>"$work/peer.err" &
peer=$!
pids+=($peer)
read -r peer_cores peer_rate <<<"$(measure "$peer")"
peer_rss=$(awk '/VmHWM/{print $2}' "/proc/$peer/status")

{
  echo "agent benchmark: $targets targets, cpu(5s)+heap+allocs every 10s, ${seconds}s window"
  printf '%-28s %10s %12s %14s\n' "collector" "CPU cores" "peak RSS MiB" "profiles/s in"
  printf '%-28s %10s %12d %14s\n' "kprof agent" "$agent_cores" $((agent_rss / 1024)) "$agent_rate"
  printf '%-28s %10s %12d %14s\n' "Go goroutine-per-target" "$peer_cores" $((peer_rss / 1024)) "$peer_rate"
  echo "agent scrape lag (s): p50 $p50  p90 $p90  p99 $p99  max $lmax"
  echo "agent scrapes: finished $finished, failed $failed, skipped $skipped"
  echo "CPU ratio agent/peer: $(python3 -c "print(f'{$agent_cores / max($peer_cores, 1e-9):.2f}')")"
} | tee "$results"
