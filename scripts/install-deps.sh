#!/usr/bin/env bash
# Installs the Debian 12 packages the build, tests and benchmarks need, only
# those that are missing. Uses sudo when not root. Idempotent and quiet when
# everything is already there.
#
#   scripts/install-deps.sh           build, tests, wrk benchmarks
#   scripts/install-deps.sh --bench   also what only some bench scripts use
#                                     (gnuplot for bench/soak.sh's plot)
#   scripts/install-deps.sh --fuzz    also clang and libFuzzer (make fuzz;
#                                     make test needs no clang)
set -euo pipefail

packages=(
  cmake make g++ pkg-config
  libcaf-dev
  libboost1.81-dev libboost-json1.81-dev
  libicu-dev
  libsqlite3-dev sqlite3
  libmimalloc-dev
  prometheus-cpp-dev prometheus
  libgtest-dev libgmock-dev libbenchmark-dev
  curl jq wrk docker-compose
)
bench_packages=(gnuplot-nox)
fuzz_packages=(clang libclang-rt-14-dev)
case "${1:-}" in
  "") ;;
  --bench) packages+=("${bench_packages[@]}") ;;
  --fuzz) packages+=("${fuzz_packages[@]}") ;;
  *) echo "usage: $0 [--bench | --fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
