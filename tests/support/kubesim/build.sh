#!/usr/bin/env bash
# Builds the Kubernetes API simulator and the Go workload its pods run.
#
#   build.sh OUTDIR   → OUTDIR/kubesim, OUTDIR/workload
set -euo pipefail
out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
export GOPROXY=off GOFLAGS= CGO_ENABLED=0 GOCACHE="${GOCACHE:-$out/gocache}"
go=${GO:-go}
command -v "$go" >/dev/null 2>&1 || go=/usr/bin/go
(cd "$here" && "$go" build -o "$out/kubesim.tmp" . && mv "$out/kubesim.tmp" "$out/kubesim")
(cd "$here/../workloads" && "$go" build -o "$out/workload.tmp" . && mv "$out/workload.tmp" "$out/workload")
echo "built $out/kubesim $out/workload"
