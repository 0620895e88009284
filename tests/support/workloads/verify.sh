#!/usr/bin/env bash
# Builds the workload, runs it in serve mode, fetches all seven profile types
# and checks each for the functions kprof tests rely on; then runs gen mode.
# Usage: bash verify.sh [OUTDIR]   (needs /usr/bin/go 1.19+, curl; ~15 s, ~1 core)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
export GOPROXY=off GOFLAGS= GOCACHE=${GOCACHE:-$out/gocache} TZ=UTC
GO=${GO:-/usr/bin/go}
(cd "$here" && "$GO" build -o "$out/workload" .)
(cd "$here" && "$GO" build -gcflags=-m -o /dev/null . 2>&1) | grep -q 'inlining call to inlinedAdd' \
  || { echo "FAIL: inlinedAdd is not inlined"; exit 1; }

"$out/workload" -addr 127.0.0.1:0 >"$out/serve.out" 2>"$out/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q '^LISTENING ' "$out/serve.out" && break; sleep 0.1; done
addr=$(awk '/^LISTENING /{print $2}' "$out/serve.out")
[ -n "$addr" ] || { echo "FAIL: no LISTENING line"; exit 1; }
base=http://$addr/debug/pprof
sleep 1
for t in heap allocs goroutine block mutex threadcreate; do curl -fsS -o "$out/$t.pb.gz" "$base/$t"; done
curl -fsS -o "$out/cpu.pb.gz" "$base/profile?seconds=2"
kill $pid; wait $pid 2>/dev/null || true; trap - EXIT

fail=0
top() { "$GO" tool pprof -top -nodecount=200 "$@" 2>/dev/null; }
expect() { # file description regex [pprof flags...]
  local f=$1 what=$2 re=$3; shift 3
  if top "$@" "$out/$f.pb.gz" | grep -Eq "$re"; then echo "ok   $f: $what"; else echo "FAIL $f: $what"; fail=1; fi
}
first_flat=$(top "$out/cpu.pb.gz" | awk '/flat%/{getline; print $NF; exit}')
[ "$first_flat" = main.hotLoopA ] && echo "ok   cpu: hotLoopA is top flat" || { echo "FAIL cpu: top flat is $first_flat"; fail=1; }
expect cpu "hotLoopB" 'main\.hotLoopB' 
expect cpu "crc32Update" 'main\.crc32Update'
expect cpu "leafMix" 'main\.leafMix'
if "$GO" tool pprof -traces "$out/cpu.pb.gz" 2>/dev/null | awk '/main\.fib$/{n++} /^-----/{if(n>=2)ok=1; n=0} END{exit !ok}'; then
  echo "ok   cpu: fib recursion (fib -> fib)"; else echo "FAIL cpu: no fib recursion"; fail=1; fi
if "$GO" tool pprof -raw "$out/cpu.pb.gz" 2>/dev/null | grep -A1 ' main\.inlinedAdd ' | grep -q ' main\.sumInlined '; then
  echo "ok   cpu: inlinedAdd is an inlined line of a sumInlined location"; else echo "FAIL cpu: no inlined frame"; fail=1; fi
expect heap "retainBuffers in inuse_space" 'main\.retainBuffers' -sample_index=inuse_space
expect allocs "allocGarbage in alloc_space" 'main\.allocGarbage' -sample_index=alloc_space
expect goroutine "idle goroutines" 'main\.idleWaitSelect'
expect block "contend waits in Mutex.Lock" 'main\.contend'
expect block "produce blocks on chan send" 'main\.produce'
expect mutex "contend" 'main\.contend'
expect threadcreate "has samples" 'runtime\.'

"$out/workload" -gen-dir "$out/gen" -gen-count 5 -gen-kind cpu -gen-seconds 0.2 -profile-rate 1000
"$out/workload" -gen-dir "$out/gen" -gen-count 5 -gen-kind heap
"$out/workload" -gen-dir "$out/gen" -gen-kind widetree
# Each leaf's stack is printed once; they all pass through genWideTree.
wide=$("$GO" tool pprof -traces "$out/gen/widetree.pb.gz" 2>/dev/null | grep -c 'main\.genWideTree$' || true)
if [ "$wide" -ge 16384 ]; then echo "ok   widetree: $wide stacks under genWideTree"; else echo "FAIL widetree: $wide stacks"; fail=1; fi
for f in "$out"/gen/*.pb.gz; do
  printf '%s gz=%d raw=%d\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -dc "$f" | wc -c)"
done
[ $fail = 0 ] && echo "ALL OK ($out)" || { echo "SOME CHECKS FAILED ($out)"; exit 1; }
