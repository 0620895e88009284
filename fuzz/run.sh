#!/usr/bin/env bash
# Builds and runs the pprof decoder fuzzer for SECONDS seconds (default 60).
#
# Usage: fuzz/run.sh [SECONDS]    (from anywhere; needs clang, libclang-rt-14-dev)
#
# Seeds: every *.pb.gz in $KPROF_TESTDATA_DIR, both gzipped and inflated (the inflated
# copy lets mutations reach the protobuf parser without breaking a gzip CRC); without
# it, fuzz/corpus/ if present. The working corpus and any crash artifacts stay in
# build-fuzz/. Exits non-zero when the fuzzer finds a crash, leak or timeout.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DKPROF_BUILD_FUZZ=ON \
  -DKPROF_BUILD_TESTS=OFF -DKPROF_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" -j"${KPROF_FUZZ_JOBS:-1}" kprof_decode_fuzzer

corpus=$build/corpus/decode
artifacts=$build/artifacts/decode/
mkdir -p "$corpus" "$artifacts"
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
elif [ -d "$root/fuzz/corpus" ]; then
  cp -r "$root/fuzz/corpus/." "$corpus/"
fi
echo "fuzzing for ${seconds}s with $(find "$corpus" -type f | wc -l) corpus files"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$build/fuzz/kprof_decode_fuzzer" "$corpus" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$artifacts" -print_final_stats=1
