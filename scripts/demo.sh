#!/usr/bin/env bash
# make run: kprof server collecting continuously from a (simulated) Kubernetes cluster.
#
# Starts kubesim — the Kubernetes API simulator from the tests, whose pods are real Go
# workloads serving net/http/pprof — with two Deployments of a "checkout" service
# (versions v1 and v2, annotated kprof.io/scrape), and kprof server on 127.0.0.1:7070
# with its collector on (--kubeconfig): it discovers the pods, scrapes them every 15 s
# and stores the profiles with their Kubernetes labels. Ctrl-C stops everything.
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

GOCACHE="$out/gocache" bash "$root/tests/support/kubesim/build.sh" "$out/kubesim" >/dev/null

wait_for() {  # FILE PATTERN
  for _ in $(seq 1 300); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

kubeconfig="$out/kubeconfig"
"$out/kubesim/kubesim" -listen 127.0.0.1:0 -workload "$out/kubesim/workload" \
  -kubeconfig-out "$kubeconfig" >"$out/kubesim.log" 2>&1 &
pids+=($!)
wait_for "$out/kubesim.log" '^LISTENING'
export KUBECONFIG=$kubeconfig

deployment() {  # NAME VERSION
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: default, labels: {app: $1}}
spec:
  replicas: 2
  selector: {matchLabels: {app: $1}}
  template:
    metadata:
      labels: {app: $1, app.kubernetes.io/version: "$2"}
      annotations:
        kprof.io/scrape: "true"
        kprof.io/service: checkout
        kprof.io/interval: 15s
    spec:
      containers:
      - name: app
        image: kprof.test/workload:$2
        ports: [{name: pprof, containerPort: 6060}]
YAML
}
deployment checkout v1 | kubectl create --validate=false -f - >/dev/null
deployment checkout-canary v2 | kubectl create --validate=false -f - >/dev/null

"$kprof" server --listen "127.0.0.1:$port" --data-dir "$out/data" --kubeconfig "$kubeconfig" \
  --cpu-seconds 10 2>"$out/server.log" &
server_pid=$!
pids+=($server_pid)
wait_for "$out/server.log" 'listening on'

echo "kprof server is running on $server with the embedded store in $out/data,"
echo "collecting every 15 s from the pods of a simulated cluster (first profiles in ~15 s)."
echo
echo "  The web UI:                 $server/"
echo "    Explore checkout's CPU:   $server/?view=explore&service=checkout&type=cpu"
echo "    What v2 spends more on:   $server/?view=diff&service=checkout&type=cpu&base_query=%7Bversion%3D%22v1%22%7D&base_from=now-1h&query=%7Bversion%3D%22v2%22%7D"
echo "    Rollouts:                 $server/?view=rollouts"
echo "  The cluster:                KUBECONFIG=$kubeconfig kubectl get pods -o wide"
echo "  What the collector sees:    $server/status"
echo "  Merged CPU profile, as go tool pprof reads it:"
echo "    go tool pprof -top '$server/api/0/profiles/merge?service=checkout&type=cpu&from=2000-01-01T00:00:00&to=2100-01-01T00:00:00'"
echo "  Fleet-wide top functions:   $server/api/v1/top?type=cpu&from=now-1h"
echo "  Flame graph JSON:           $server/api/v1/merge?type=cpu&service=checkout&format=flame"
echo "  What v2 spends more on:     $server/api/v1/diff?type=cpu&service=checkout&base_query={version=\"v1\"}&query={version=\"v2\"}"
echo "  A capture through the API server, as kubectl users do:"
echo "    PATH=$root/$build/apps/kprof:\$PATH KUBECONFIG=$kubeconfig kubectl kprof capture -l app=checkout --type heap"
echo "  Metrics:                    $server/metrics"
echo
echo "In 60 s the demo rolls checkout out to v2 (kubectl set image), whose CPU goes to"
echo "main.regressedFunc. Follow it and read its report (a few minutes later the report"
echo "has profiles of the new pods too):"
echo "    PATH=$root/$build/apps/kprof:\$PATH KUBECONFIG=$kubeconfig kubectl kprof rollout status deploy/checkout"
echo "    PATH=$root/$build/apps/kprof:\$PATH KUBECONFIG=$kubeconfig kubectl kprof rollout report deploy/checkout --server $server"
echo "  Rollouts:                   $server/api/v1/rollouts"
echo "  Pod resources:              $server/api/v1/resources?deployment=checkout&step=1m"
echo
echo "Ctrl-C stops the server and the cluster."
(
  sleep 60
  kubectl set image deploy/checkout app=kprof.test/workload:v2 >/dev/null &&
    echo "demo: rolling checkout out to v2"
) &
pids+=($!)
wait "$server_pid"
