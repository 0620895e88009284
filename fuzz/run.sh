#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS seconds (default 60).
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (from anywhere; needs clang, libclang-rt-14-dev)
#   TARGET: decode (the pprof decoder), kube_parse (Kubernetes JSON), collect (spool
#   entries, static targets YAML, type lists and durations), stats_summary (the kubelet
#   Summary API and resource rates), rollout (the rollout tracker fed watch lines, stored
#   rollout records, kubelet event messages); default: all.
#
# Seeds for decode: every *.pb.gz in $KPROF_TESTDATA_DIR, both gzipped and inflated (the
# inflated copy lets mutations reach the protobuf parser without breaking a gzip CRC);
# without it, fuzz/corpus/decode/ if present. Seeds for kube_parse: fuzz/corpus/kube/ and
# the JSON fixtures of tests/unit/kube/testdata/. Seeds for stats_summary:
# fuzz/corpus/stats_summary/. The working corpora and any crash
# artifacts stay in build-fuzz/ (or $KPROF_FUZZ_BUILD_DIR). Exits non-zero when a fuzzer finds a crash, leak or
# timeout.
set -euo pipefail
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(decode kube_parse collect stats_summary rollout)
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KPROF_FUZZ_BUILD_DIR:-$root/build-fuzz}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DKPROF_BUILD_FUZZ=ON \
  -DKPROF_BUILD_TESTS=OFF -DKPROF_BUILD_BENCH=OFF -DKPROF_BUILD_UI=OFF >/dev/null

seed_decode() {
  local corpus=$1
  if [ -n "${KPROF_TESTDATA_DIR:-}" ] && [ ! -d "$KPROF_TESTDATA_DIR" ]; then
    # No captured profiles yet (make fuzz before make test): capture some.
    bash "$root/tests/support/fetch_profiles.sh" "$KPROF_TESTDATA_DIR" 2
  fi
  if [ -n "${KPROF_TESTDATA_DIR:-}" ]; then
    shopt -s nullglob
    for f in "$KPROF_TESTDATA_DIR"/*.pb.gz; do
      name=$(basename "$f" .pb.gz)
      cp "$f" "$corpus/seed-$name.pb.gz"
      gzip -dc "$f" >"$corpus/seed-$name.pb"
    done
    shopt -u nullglob
  elif [ -d "$root/fuzz/corpus/decode" ]; then
    cp -r "$root/fuzz/corpus/decode/." "$corpus/"
  fi
}

seed_kube_parse() {
  local corpus=$1
  cp "$root"/fuzz/corpus/kube/* "$corpus/"
  for f in "$root"/tests/unit/kube/testdata/*.json; do
    cp "$f" "$corpus/fixture-$(basename "$f")"
  done
}

seed_collect() {
  cp "$root"/fuzz/corpus/collect/* "$1/"
}

seed_stats_summary() {
  cp "$root"/fuzz/corpus/stats_summary/* "$1/"
}

seed_rollout() {
  cp "$root"/fuzz/corpus/rollout/* "$1/"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
for target in "${targets[@]}"; do
  case $target in
    decode | kube_parse | collect | stats_summary | rollout) ;;
    *) echo "unknown fuzz target: $target (decode, kube_parse, collect, stats_summary, rollout)" >&2; exit 2 ;;
  esac
  ninja -C "$build" -j"${KPROF_FUZZ_JOBS:-1}" "kprof_${target}_fuzzer"
  corpus=$build/corpus/$target
  artifacts=$build/artifacts/$target/
  mkdir -p "$corpus" "$artifacts"
  "seed_$target" "$corpus"
  echo "fuzzing $target for ${seconds}s with $(find "$corpus" -type f | wc -l) corpus files"
  "$build/fuzz/kprof_${target}_fuzzer" "$corpus" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$artifacts" -print_final_stats=1
done
