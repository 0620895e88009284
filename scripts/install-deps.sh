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
  # tests, benchmarks, fuzzing
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libprotobuf-dev protobuf-compiler
  # real peers: Go workloads and `go tool pprof` as the oracle
  golang-go
  # benchmark driver: peak RSS of the peer; HTTP client and certificates in tests
  time python3 curl openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
