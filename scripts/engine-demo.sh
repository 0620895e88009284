#!/usr/bin/env bash
# The command-line tools on real files: runs the Go workload, captures its seven
# profile types, and shows kprof on them.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
kprof="$root/$build/apps/kprof/kprof"
out="$root/out/demo"
mkdir -p "$out"
echo "== Capturing profiles from two Go workloads (v1 and v2) for 5 s …"
bash "$root/tests/support/fetch_profiles.sh" "$out" 5
echo
echo "== kprof top -nodecount=12 cpu-a.pb.gz   (same output as go tool pprof -top)"
"$kprof" top -nodecount=12 "$out/cpu-a.pb.gz"
echo
echo "== kprof top -sample_index=inuse_space heap-a.pb.gz heap-b.pb.gz   (merged)"
"$kprof" top -nodecount=8 -sample_index=inuse_space "$out/heap-a.pb.gz" "$out/heap-b.pb.gz"
echo
echo "== kprof diff cpu-a.pb.gz cpu-b.pb.gz   (what v2 spends more CPU on)"
"$kprof" diff -n 6 "$out/cpu-a.pb.gz" "$out/cpu-b.pb.gz"
echo
"$kprof" flame -o "$out/cpu-flame.html" "$out/cpu-a.pb.gz" "$out/cpu-b.pb.gz"
"$kprof" merge -o "$out/cpu-merged.pb.gz" "$out/cpu-a.pb.gz" "$out/cpu-b.pb.gz"
echo
echo "Flame graph:    $out/cpu-flame.html   (open it in a browser; works offline)"
echo "Merged profile: $out/cpu-merged.pb.gz (go tool pprof -top $out/cpu-merged.pb.gz)"
