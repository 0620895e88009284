#!/usr/bin/env bash
# Ingest benchmark: real CPU profiles uploaded to kprof server over keep-alive HTTP
# with durable (fsynced) acknowledgement, from a load generator on loopback; and, in
# the same run, the engine's decode-only rate on the same files.
#
#   bench/ingest_bench.sh BUILD_DIR [CONNECTIONS] [SECONDS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
connections=${2:-64}
seconds=${3:-15}
files=$(ls "$build"/bench-data/cpu-distinct/*.pb.gz | head -100)
data=$(mktemp -d /tmp/kprof-ingest-XXXXXX)
log="$data.log"
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data" "$log"' EXIT
"$build/apps/kprof/kprof" server --listen 127.0.0.1:0 --data-dir "$data" 2>"$log" &
server=$!
for _ in $(seq 1 200); do grep -q 'listening on' "$log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
ingest=$("$build/bench/kprof_ingest_load" --port "$port" --connections "$connections" \
  --seconds "$seconds" $files)
rss=$(ps -o rss= -p "$server")
decode=$("$build/bench/kprof_decode_rate" --threads 2 --seconds 5 $files)
echo "ingest:      $ingest"
echo "server RSS:  ${rss} KiB"
echo "decode only: $decode"
python3 - "$ingest" "$decode" <<'PY'
import json, sys
i, d = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("ingest %.0f profiles/s = %.1f%% of the decode-only rate (%.0f/s)" % (
    i["per_second"], 100 * i["per_second"] / d["per_second"], d["per_second"]))
PY
