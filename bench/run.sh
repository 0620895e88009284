#!/usr/bin/env bash
# make bench: builds the corpora if needed, then runs every benchmark:
#   merge   kprof merge vs go tool pprof and the inflate floor (issue 2)
#   ingest  durable uploads/s vs the decode-only rate (issue 3)
#   query   long-range merges with and without rollups, fleet top, bytes on disk (issue 3)
#   informer Informer<Pod> sync of 10,000 pods vs kubectl and python3-kubernetes (issue 4)
#   agent   one agent scraping 2,000 targets every 10 s: CPU, lag, vs a Go peer (issue 4)
#   rollout the rollout tracker replaying 1,000 Deployments × 10 pods rolling out, vs
#           python3-kubernetes' watch decoding (issue 5; records the rollout on first use)
#   ui      the web UI's flame graph vs go tool pprof -http's, both in chromium, on a real
#           ~21,800-node allocs profile (issue 6)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/$build/bench-results"
mkdir -p "$out"
bash "$root/bench/make_corpus.sh" "$root/$build/bench-data"
python3 "$root/bench/merge_bench.py" --build "$root/$build" --reps "${KPROF_BENCH_REPS:-7}" \
  --out "$out/merge.json"
bash "$root/bench/ingest_bench.sh" "$root/$build" 64 15 | tee "$out/ingest.txt"
qdata=$(mktemp -d /tmp/kprof-qbench-XXXXXX)
trap 'rm -rf "$qdata"' EXIT
"$root/$build/bench/kprof_query_bench" --data "$qdata" \
  --profiles-dir "$root/$build/bench-data/cpu-distinct" --runs 5 | tee "$out/query.json"
GOCACHE="$root/$build/kubesim/gocache" bash "$root/tests/support/kubesim/build.sh" "$root/$build/kubesim" >/dev/null
"$root/$build/bench/kprof_informer_bench" --kubesim "$root/$build/kubesim" --runs 3 \
  --out "$out/informer.txt"
bash "$root/bench/agent_bench.sh" "$root/$build" 2000 60 "$out/agent.txt"
bash "$root/bench/rollout_bench.sh" "$root/$build" "$out/rollout.json"
bash "$root/bench/ui_flame_bench.sh" "$root/$build" "$out/ui_flame.json"
