#!/usr/bin/env bash
# Steady-state memory under chat load: ROUNDS rounds of wrk on POST /chat
# (1 thread, 64 connections), the server's RSS printed after each. Flat RSS
# means nothing per request is kept (no leaked asks, answers or buffers).
#
#   bench/steady.sh [BUILD_DIR]        ROUNDS=6 DURATION=8s by default
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
rounds=${ROUNDS:-6}
duration=${DURATION:-8s}
port=${PORT:-18182}
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

data=$(mktemp -d)
"$build/tenantd" --host 127.0.0.1 --port "$port" --data-dir "$data" \
  --tenants-file "$here/tenants-bench.jsonl" 2>/dev/null &
pid=$!
script=$(mktemp --suffix=.lua)
trap 'kill $pid 2>/dev/null || true; rm -rf "$script" "$data"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$url/" >/dev/null && break; sleep 0.05; done

open_chat_sessions "$url"
cat "$here/wrk/chat.lua" "$here/wrk/report.lua" >"$script"

for i in $(seq "$rounds"); do
  line=$(wrk -t1 -c64 -d"$duration" -s "$script" "$url/" | grep '^RESULT')
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  echo "round $i: ${line#RESULT } rss_kib=$rss"
done
