#!/usr/bin/env bash
# Installs every build, test, benchmark and demo dependency of kprof from Debian's
# packages. Idempotent: packages already present are skipped, so `make` can call it
# every time at the cost of one dpkg query.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ clang clang-format libclang-rt-14-dev pkg-config make
  # engine
  libdeflate-dev zlib1g-dev libre2-dev libcli11-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev
  # server and store
  libboost-dev libssl-dev librocksdb-dev libzstd-dev
  # Kubernetes client, collector: HTTP client, kubeconfig, fast JSON for lists and watches
  libcurl4-openssl-dev libyaml-cpp-dev libsimdjson-dev
  # tests, benchmarks, fuzzing
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libprotobuf-dev protobuf-compiler
  # real peers: Go workloads and `go tool pprof` as the oracle
  golang-go
  # benchmark driver: peak RSS of the peer; HTTP client and certificates in tests
  time python3 curl openssl
  # real Kubernetes clients that check the API simulator (kubectl comes with the machine;
  # its package is named kubectl where the machine's apt sources carry it)
  python3-kubernetes
  # a real Prometheus scrapes /metrics in the rollout tests
  prometheus
  # the web UI's browser tests (playwright-core drives Debian's chromium; fonts-liberation
  # is only a Recommends of chromium, which --no-install-recommends skips)
  chromium fonts-liberation
)

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-deps: kubectl is not on PATH; trying the kubectl package" >&2
  $SUDO apt-get install -y -qq --no-install-recommends kubectl ||
    echo "install-deps: no kubectl package in the apt sources; the kubectl tests will fail" >&2
fi

# The web UI is built with node and npm (KPROF_BUILD_UI, on by default). They come with the
# machine (nodesource); Debian's npm conflicts with that nodejs and its node is too old.
node_major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
if [[ -z "$node_major" || "$node_major" -lt 20 ]] || ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: the web UI needs node >= 20 and npm on PATH (found node '${node_major:-none}');" \
    "install them, or configure with -DKPROF_BUILD_UI=OFF" >&2
  exit 1
fi
