#!/usr/bin/env bash
# Installs the Debian 12 packages a make target needs, only those that are
# missing. Uses sudo when not root. Idempotent and quiet when everything is
# already there.
#
#   scripts/install-deps.sh --run     building and running tenantd (make run)
#   scripts/install-deps.sh           also the tests (make test)
#   scripts/install-deps.sh --bench   also what the bench scripts use (wrk,
#                                     nginx, gnuplot)
#   scripts/install-deps.sh --fuzz    also clang and libFuzzer (make fuzz)
set -euo pipefail

# The service: compiler, CMake and the libraries tenantd links.
run_packages=(
  cmake make g++ pkg-config
  libcaf-dev
  libboost1.81-dev libboost-json1.81-dev
  libicu-dev
  libsqlite3-dev
  libssl-dev libsodium-dev ca-certificates
  libmimalloc-dev
  prometheus-cpp-dev
)
# The tests: GoogleTest, Google Benchmark (the benchmarks are built with the
# tests, so they cannot rot), the clients the scripts use (curl, jq, the
# sqlite3 shell), Python with jsonschema for the OpenAPI contract test and
# PyJWT for the token cross-check (crypto_tests),
# promtool (prometheus) for the metrics check, docker-compose for the
# compose file check and the openssl tool for the test CA of the fake
# upstreams. g++ brings the sanitizer runtimes that
# `make test-sanitize` links.
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  curl jq sqlite3 python3 python3-jsonschema python3-jwt prometheus docker-compose
  openssl
)
bench_packages=(wrk nginx gnuplot-nox)
fuzz_packages=(clang libclang-rt-14-dev)

packages=("${run_packages[@]}")
case "${1:-}" in
  --run) ;;
  "") packages+=("${test_packages[@]}") ;;
  --bench) packages+=("${test_packages[@]}" "${bench_packages[@]}") ;;
  --fuzz) packages+=("${test_packages[@]}" "${fuzz_packages[@]}") ;;
  *) echo "usage: $0 [--run | --bench | --fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# Node.js and npm for the openai SDK test (tests/service/openai_sdk_test.sh):
# Debian's, unless the machine has its own (a NodeSource nodejs bundles npm,
# and Debian's npm package would conflict with it).
if [[ "${1:-}" != --run ]]; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
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
