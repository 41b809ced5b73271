#!/usr/bin/env bash
# Tenant isolation under a flood: the latency of a calm tenant's clients
# (globex, wrk -c CALM_CONNECTIONS) measured alone, then while another
# tenant (acme) is flooded by wrk -c FLOOD_CONNECTIONS. The server runs
# with TENANT_MAX_IN_FLIGHT (default 16 here, so that the flood passes the
# cap: wrk keeps one request per connection in flight). Pairs alternate
# REPEATS times; prints the medians, the flood's 503 share, and fails if a
# calm request is not answered 200.
#
#   bench/flood.sh [BUILD_DIR]
#   REPEATS=3 PHASE=20 FLOOD_CONNECTIONS=256 bench/flood.sh build
#
# Both loads share the machine's cores with the server: the calm tenant's
# latency under flood includes that CPU contention (on 2 cores, wrk itself
# takes a good share), which no admission control inside the server can
# remove. What the cap bounds is the queue: without it, the flood's asks
# would pile up in the actors' mailboxes; with it they are refused at once.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build}
repeats=${REPEATS:-3}
phase=${PHASE:-20}
calm_connections=${CALM_CONNECTIONS:-4}
flood_connections=${FLOOD_CONNECTIONS:-256}
cap=${TENANT_MAX_IN_FLIGHT:-16}

source "$here/lib.sh"
bin=$build/tenantd
tenants=$here/tenants-bench.jsonl
work=$(mktemp -d)
flood_pid=""
on_exit() { [[ -z "$flood_pid" ]] || kill "$flood_pid" 2>/dev/null || true; }
source "$root/tests/support/harness.sh"
raise_fd_limit

start_server TENANT_MAX_IN_FLIGHT="$cap"
open_chat_sessions "$url"
cat "$here/wrk/tenant_chat.lua" "$here/wrk/report.lua" >"$work/chat.lua"

echo "machine: $(machine)"
echo "server: $bin TENANT_MAX_IN_FLIGHT=$cap (pid $pid, $url)"
echo "calm: globex, wrk -t1 -c$calm_connections -d${phase}s; flood: acme, wrk -t1 -c$flood_connections"
echo

calm() {
  TENANT=globex SESSION=$SESSION_GLOBEX \
    wrk -t1 -c"$calm_connections" -d"${phase}s" --latency -s "$work/chat.lua" "$url/" \
    | grep '^RESULT'
}

failures=()
alone=() flooded=() floods=()
for i in $(seq "$repeats"); do
  line=$(calm)
  echo "run $i calm alone:   ${line#RESULT }"
  alone+=("$line")
  TENANT=acme SESSION=$SESSION_ACME \
    wrk -t1 -c"$flood_connections" -d"$((phase + 2))s" -s "$work/chat.lua" "$url/" \
    >"$work/flood.$i" &
  flood_pid=$!
  sleep 1
  line=$(calm)
  echo "run $i calm flooded: ${line#RESULT }"
  flooded+=("$line")
  wait "$flood_pid"
  flood_pid=""
  flood_line=$(grep '^RESULT' "$work/flood.$i")
  requests=$(awk '/requests in/ {print $1}' "$work/flood.$i")
  echo "run $i flood:        ${flood_line#RESULT } (503s: $(value_of non2xx <<<"$flood_line") of $requests)"
  floods+=("$flood_line $requests")
  for l in "${alone[-1]}" "${flooded[-1]}"; do
    (($(value_of non2xx <<<"$l") == 0 && $(value_of errors <<<"$l") == 0)) \
      || failures+=("run $i: the calm tenant got errors: $l")
  done
  kill -0 "$pid" 2>/dev/null || fail "the server died"
done

read -r a_rps a_p50 a_p99 < <(result_medians "${alone[@]}")
read -r f_rps f_p50 f_p99 < <(result_medians "${flooded[@]}")
read -r x_rps _ _ < <(result_medians "${floods[@]}")
busy=$(curl -s "$url/metrics" | awk '/^tenantd_http_requests_total\{code="503",method="POST",route="\/chat",tenant="acme"\}/ {print $2}')
calm503=$(curl -s "$url/metrics" | awk '/^tenantd_http_requests_total\{code="503",method="POST",route="\/chat",tenant="globex"\}/ {print $2}')

echo
echo "=== flood summary (medians of $repeats) ==="
printf '%-14s %9s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-14s %9s %9s %9s\n' "calm alone" "$a_rps" "$a_p50" "$a_p99" "calm flooded" "$f_rps" "$f_p50" "$f_p99"
echo "flood: $x_rps answers/s; 503 (in-flight cap) in all: ${busy:-0}; calm tenant's 503s: ${calm503:-0}"
if ((${#failures[@]})); then
  printf 'FAIL: %s\n' "${failures[@]}"
  exit 1
fi
echo "PASS"
