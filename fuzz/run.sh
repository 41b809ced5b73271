#!/usr/bin/env bash
# Runs every fuzz target of a TENANTD_FUZZ build for a bounded time (see
# README.md). Usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# Each target fuzzes a working corpus in BUILD_DIR/corpus/<target>: the
# repo's seeds and kept crash inputs are copied in, and what libFuzzer
# finds stays there (the repo is never written). Crash, leak, timeout and
# out-of-memory inputs go to BUILD_DIR/artifacts/<target>/; the log of each
# run to BUILD_DIR/logs/<target>.log. Exits 1 if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http_request json_decode reply_template tenants_file)

# UBSan only prints by default: halt on the first report so that libFuzzer
# saves the input. The suppressions are make test-sanitize's (third-party
# reports only, each with its reason).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/sanitizers/ubsan.supp"

failed=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  log="$build/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp fuzz/corpus/"$t"/* "$corpus"/
  find fuzz/regressions/"$t" -type f ! -name '.*' -exec cp {} "$corpus"/ \;
  echo "fuzz: $t for ${seconds}s ($(ls "$corpus" | wc -l) inputs to start from)"
  # The service's INFO lines (a tenant created, archived...) say nothing
  # here and would fill the log; warnings and errors stay.
  set +e
  "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -dict="fuzz/$t.dict" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" 2>&1 \
    | grep -aEv '^[0-9-]+T[0-9:.]+Z INFO  ' >"$log"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -eq 0 ]; then
    grep -aE '^#[0-9]+.*DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
      "$log" | sed 's/^/  /'
  else
    failed+=("$t")
    echo "fuzz: $t FAILED; end of $log:" >&2
    tail -n 100 "$log" >&2
    ls "$artifacts" >&2
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (inputs in $build/artifacts/; see fuzz/README.md)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s without a failure"
