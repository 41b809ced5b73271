#!/usr/bin/env bash
# HTTP benchmarks with wrk against the real binary: GET /, POST /session
# (durable: each 200 is committed and fsync'd) and POST /chat, 1 wrk thread and 64 connections, each run REPEATS times; prints
# one line per run and the median of each. Then the RSS after opening
# SESSIONS sessions. Uses bench/tenants-bench.jsonl (limits high enough that
# no request is rate-limited).
#
#   bench/run.sh [BUILD_DIR]          (make bench)
#   DURATION=10s REPEATS=5 bench/run.sh build
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bin=$build/tenantd
duration=${DURATION:-10s}
repeats=${REPEATS:-5}
connections=${CONNECTIONS:-64}
sessions=${SESSIONS:-1000000}
port=${PORT:-18181}
extra_args=${TENANTD_ARGS:-}
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

log=$(mktemp)
data=$(mktemp -d)
# shellcheck disable=SC2086
"$bin" --host 127.0.0.1 --port "$port" --data-dir "$data" \
  --tenants-file "$here/tenants-bench.jsonl" $extra_args 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$log" "$chat_script" "$data"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$url/" >/dev/null && break; sleep 0.05; done

open_chat_sessions "$url"
chat_script=$(mktemp --suffix=.lua)
cat "$here/wrk/chat.lua" "$here/wrk/report.lua" >"$chat_script"
session_script=$(mktemp --suffix=.lua)
cat "$here/wrk/session.lua" "$here/wrk/report.lua" >"$session_script"

echo "machine: $(machine)"
echo "server: $bin $extra_args; wrk -t1 -c$connections -d$duration, $repeats runs each"

run() { # name script
  local name=$1 script=$2 results=()
  for i in $(seq "$repeats"); do
    local line
    line=$(wrk -t1 -c"$connections" -d"$duration" -s "$script" "$url/" | grep '^RESULT')
    echo "$name run $i: ${line#RESULT }"
    results+=("$line")
  done
  local rps p99
  rps=$(printf '%s\n' "${results[@]}" | sed -E 's/.*rps=([0-9.]+).*/\1/' | median)
  p99=$(printf '%s\n' "${results[@]}" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/' | median)
  echo "$name median: rps=$rps p99_ms=$p99"
}

run "GET /" "$here/wrk/report.lua"
run "POST /session" "$session_script"
run "POST /chat" "$chat_script"
rm -f "$session_script"

# RSS after N sessions: open them through wrk (fast), counting requests.
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
before=$(rss_kib)
echo "RSS before sessions: $((before / 1024)) MiB (sessions opened so far by the runs above are included)"
opened=0
session_count_script=$(mktemp --suffix=.lua)
cat "$here/wrk/session.lua" - >"$session_count_script" <<'LUA'
done = function(summary) io.write(string.format("OPENED %d\n", summary.requests - summary.errors.status)) end
LUA
while [ "$opened" -lt "$sessions" ]; do
  n=$(wrk -t1 -c"$connections" -d5s -s "$session_count_script" "$url/" | awk '/^OPENED/ {print $2}')
  opened=$((opened + n))
done
rm -f "$session_count_script"
after=$(rss_kib)
echo "RSS after $opened more sessions: $((after / 1024)) MiB ($(((after - before) * 1024 / opened)) bytes/session)"
