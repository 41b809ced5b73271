#!/usr/bin/env bash
# `make test-sanitize`: the test suite again, built with sanitizers.
#
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer):
#                every ctest entry, the scripts that drive the tenantd binary
#                included.
#   build-tsan/  ThreadSanitizer: the bridge and HTTP suites (labels bridge,
#                http), where threads meet: I/O threads, strands, timers,
#                start and stop. What the CAF suppression leaves unchecked:
#                docs/testing.md.
#
# Any sanitizer report fails the run. ASan, LSan and TSan write their
# reports to files under BUILD_DIR/sanitizer-reports (so that a report from
# a server that a script stops without looking at its exit status counts
# too); they are printed at the end. UBSan prints to the test's stderr and
# stops the process (halt_on_error=1), which fails the test. Suppressions of
# third-party reports, each with its reason: tests/sanitizers/.
#
# Environment: JOBS (build jobs, default nproc), CTEST_JOBS (default 2),
# TENANTD_TEST_TIME_SCALE (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${JOBS:-$(nproc)}"
ctest_jobs="${CTEST_JOBS:-2}"
supp="$PWD/tests/sanitizers"
# Timing in the scripts that drive the binary (tests/durability_test.sh):
# sanitized, it serves several times slower.
export TENANTD_TEST_TIME_SCALE="${TENANTD_TEST_TIME_SCALE:-3}"

# build DIR SANITIZER [TARGET...]: configures and builds (the given targets,
# or all). Debug, so no NDEBUG; CMakeLists.txt sets the optimisation level.
build() {
  local dir="$1" sanitizer="$2"
  shift 2
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DTENANTD_SANITIZE="$sanitizer" \
    -DTENANTD_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$jobs" "${targets[@]}"
}

# check_reports DIR: fails, printing them, if any report was written.
check_reports() {
  local reports=("$1"/sanitizer-reports/*)
  [[ -e "${reports[0]}" ]] || return 0
  for r in "${reports[@]}"; do
    echo "=== $r" >&2
    cat "$r" >&2
  done
  echo "test-sanitize: ${#reports[@]} sanitizer report(s) in $1/sanitizer-reports" >&2
  return 1
}

# fresh_reports DIR: an empty report directory; prints its path.
fresh_reports() {
  rm -rf "$1/sanitizer-reports"
  mkdir -p "$1/sanitizer-reports"
  echo "$PWD/$1/sanitizer-reports"
}

echo "== ASan + UBSan: build-asan"
build build-asan address
reports="$(fresh_reports build-asan)"
status=0
# Beyond the defaults: use of a stack frame after its function returned (a
# callback holding a reference to a local) and static initialisation order.
asan="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1"
asan+=":check_initialization_order=1:strict_init_order=1:log_path=$reports/asan"
(
  cd build-asan
  ASAN_OPTIONS="$asan" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp" \
    ctest --output-on-failure -j "$ctest_jobs"
) || status=1
check_reports build-asan || status=1
((status == 0)) || { echo "test-sanitize: ASan + UBSan run failed" >&2; exit 1; }

echo "== TSan: build-tsan (bridge and http suites)"
build build-tsan thread bridge_tests http_tests limits_tests app_tests upstream_tests
reports="$(fresh_reports build-tsan)"
(
  cd build-tsan
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=7:suppressions=$supp/tsan.supp:log_path=$reports/tsan" \
    ctest --output-on-failure -j "$ctest_jobs" -L 'bridge|http'
) || status=1
check_reports build-tsan || status=1
((status == 0)) || { echo "test-sanitize: TSan run failed" >&2; exit 1; }
echo "test-sanitize: ASan + UBSan and TSan runs clean"
