#!/usr/bin/env bash
# Abuse: do slow and oversized clients hurt normal ones? Normal clients'
# latency with and without abusers running beside them, against the real
# binary.
#
#   bench/abuse.sh [BUILD_DIR]                        (default build/)
#   PHASE=10 REPEATS=1 bench/abuse.sh build           a short trial
#   SERVER_ENV="HEADER_TIMEOUT_S=10" bench/abuse.sh build
#
# Normal clients: wrk -t1 -c CONNECTIONS (16) -d PHASE (30 s) of POST /chat
# in one session per tenant (bench/wrk/chat.lua, bench/tenants-bench.jsonl:
# nothing rate-limited), as bench/run.sh measures it. Each repeat runs them
# twice, REPEATS (3) times alternating: unloaded, then loaded, with
# build/bench/abuse_clients (bench/abuse_clients.cpp) started LEAD (5) s
# before the loaded run (their connections ramp up over LEAD - 1 s) and
# running to its end:
#
#   SLOWLORIS (1000)  clients sending one header byte every DRIP_MS (2000)
#   SLOW_BODY (100)   clients sending a body (Content-Length 1000) one byte
#                     every DRIP_MS
#   OVERSIZE (8)      clients streaming BODY_BYTES (10 MiB) bodies, half with
#                     Content-Length, half chunked, PAUSE_MS (100) between
#   BIG_HEADERS (4)   clients sending HEADER_BYTES (32 KiB) of header fields,
#                     PAUSE_MS between
#
# Every abuser reconnects when the server closes it. With the server's
# defaults (one 30 s read deadline per request, closed by a 1 s sweeper),
# slow clients are closed after ~30-31 s: LEAD + PHASE must exceed that for
# the loaded run to see them closed and reconnecting. Oversized bodies get
# 413 and header sections over 16 KiB get 431, then a close.
#
# Printed: each run's req/s, p50, p99 (wrk's RESULT line), the server's
# descriptors and RSS in the middle of each loaded run, what the abusers saw
# (connections, closed by the server after how long, answers by status),
# then the medians. FAILS (exit 1) if the median loaded p99 exceeds
# MAX_RATIO (2) x the median unloaded p99, if any normal request got a
# non-2xx answer or a socket error, or if the server died.
#
# Environment: REPEATS, PHASE (s), CONNECTIONS, LEAD (s), SETTLE (3 s of
# quiet after each loaded run), SLOWLORIS, SLOW_BODY, DRIP_MS, OVERSIZE,
# BODY_BYTES, BIG_HEADERS, HEADER_BYTES, PAUSE_MS, MAX_RATIO, SERVER_ENV
# (server settings as VAR=value words, e.g. "HEADER_TIMEOUT_S=5 MAX_CONNECTIONS=2000";
# unknown variables are ignored by the server, so newer settings can be
# passed to any build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build}
repeats=${REPEATS:-3}
phase=${PHASE:-30}
connections=${CONNECTIONS:-16}
lead=${LEAD:-5}
settle=${SETTLE:-3}
slowloris=${SLOWLORIS:-1000}
slow_body=${SLOW_BODY:-100}
drip_ms=${DRIP_MS:-2000}
oversize=${OVERSIZE:-8}
body_bytes=${BODY_BYTES:-10485760}
big_headers=${BIG_HEADERS:-4}
header_bytes=${HEADER_BYTES:-32768}
pause_ms=${PAUSE_MS:-100}
max_ratio=${MAX_RATIO:-2}
read -r -a server_env <<<"${SERVER_ENV:-}"

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bin=$build/tenantd
abusers=$build/bench/abuse_clients
tenants=$here/tenants-bench.jsonl
for f in "$bin" "$abusers"; do
  [[ -x "$f" ]] || { echo "no $f: build first (make build)" >&2; exit 1; }
done
((lead >= 2)) || { echo "LEAD must be at least 2 s" >&2; exit 1; }
raise_fd_limit
need=$((slowloris + slow_body + oversize + big_headers + connections + 100))
(($(ulimit -n) >= need)) \
  || { echo "open-file limit $(ulimit -n) < $need needed: raise the hard limit" >&2; exit 1; }

work=$(mktemp -d)
abuser_pid=""
on_exit() { [[ -z "$abuser_pid" ]] || kill "$abuser_pid" 2>/dev/null || true; }
# shellcheck source=tests/support/harness.sh
source "$root/tests/support/harness.sh"

start_server "${server_env[@]}"
open_chat_sessions "$url"
cat "$here/wrk/chat.lua" "$here/wrk/report.lua" >"$work/chat.lua"

echo "machine: $(machine)"
echo "server: $bin ${SERVER_ENV:-}(pid $pid, $url); open-file limit $(ulimit -n)"
echo "normal: wrk -t1 -c$connections -d${phase}s POST /chat; $repeats x (unloaded, loaded)"
abuse_args=(--target "127.0.0.1:$port" --duration $((lead + phase + 1))
  --ramp-ms $(((lead - 1) * 1000)) --slowloris "$slowloris" --slow-body "$slow_body"
  --drip-ms "$drip_ms" --oversize "$oversize" --body-bytes "$body_bytes"
  --big-headers "$big_headers" --header-bytes "$header_bytes" --pause-ms "$pause_ms")
echo "abusers: abuse_clients ${abuse_args[*]:2}"
echo

normal() { wrk -t1 -c"$connections" -d"${phase}s" --latency -s "$work/chat.lua" "$url/" | grep '^RESULT'; }
# One line per kind of abuser, from its ABUSE key=value lines.
describe_abusers() {
  awk '{
    delete v; answers = ""
    for (i = 2; i <= NF; i++) {
      split($i, kv, "="); v[kv[1]] = kv[2]
      if (kv[1] ~ /^status_/ && kv[2] > 0) answers = answers " " substr(kv[1], 8) " x" kv[2] ","
    }
    if (answers == "") answers = " none,"
    closed = "none closed by the server"
    if (v["closed_by_server"] > 0)
      closed = sprintf("%d closed by the server after %.3f/%.3f/%.3f s (min/p50/max)",
        v["closed_by_server"], v["closed_after_s_min"], v["closed_after_s_p50"], v["closed_after_s_max"])
    printf "  %-16s %4d clients: %d connections (%d failed to connect), %s, %d open at the end; answers:%s %d ended without one",
      v["kind"], v["clients"], v["connections"], v["connect_errors"], closed, v["open_at_end"],
      answers, v["no_answer"]
    if (v["closed_by_server"] > 0) printf "; written p50 %.1f KiB per ended connection", v["written_kib_p50"]
    printf "\n"
  }' "$1"
}

failures=()
check_normal() { # NAME RESULT-LINE
  local non2xx errors
  non2xx=$(value_of non2xx <<<"$2"); errors=$(value_of errors <<<"$2")
  ((non2xx == 0 && errors == 0)) || failures+=("$1: $non2xx non-2xx answers, $errors socket errors")
}

unloaded=() loaded=()
for i in $(seq "$repeats"); do
  line=$(normal)
  echo "run $i unloaded: ${line#RESULT }"
  unloaded+=("$line")
  check_normal "run $i unloaded" "$line"

  "$abusers" "${abuse_args[@]}" >"$work/abuse.$i" &
  abuser_pid=$!
  sleep "$lead"
  (sleep $((phase / 2))
    fds=("/proc/$pid/fd/"*)
    echo "${#fds[@]} $(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")") \
    >"$work/mid.$i" 2>/dev/null &
  line=$(normal)
  read -r fds rss <"$work/mid.$i" || true
  echo "run $i loaded:   ${line#RESULT } (server mid-run: ${fds:-?} fds, RSS ${rss:-?} MiB)"
  loaded+=("$line")
  check_normal "run $i loaded" "$line"
  wait "$abuser_pid" || failures+=("run $i: abuse_clients failed")
  abuser_pid=""
  describe_abusers "$work/abuse.$i"
  kill -0 "$pid" 2>/dev/null || fail "the server died"
  sleep "$settle"
done

read -r u_rps u_p50 u_p99 < <(result_medians "${unloaded[@]}")
read -r l_rps l_p50 l_p99 < <(result_medians "${loaded[@]}")
ratio=$(awk -v l="$l_p99" -v u="$u_p99" 'BEGIN {printf "%.2f", (u > 0 ? l / u : 0)}')
awk -v r="$ratio" -v m="$max_ratio" 'BEGIN {exit !(r <= m)}' \
  || failures+=("loaded p99 $l_p99 ms is $ratio x the unloaded $u_p99 ms (limit $max_ratio x)")
warnings=$(grep -cE ' (WARN|ERROR) ' "$log" || true)

echo
echo "=== abuse summary (medians of $repeats) ==="
printf '%-9s %9s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-9s %9s %9s %9s\n' unloaded "$u_rps" "$u_p50" "$u_p99" loaded "$l_rps" "$l_p50" "$l_p99"
echo "loaded p99 / unloaded p99: $ratio (limit $max_ratio)"
echo "server log: $warnings WARN/ERROR lines"
grep -E ' (WARN|ERROR) ' "$log" | head -n 5 || true
if ((${#failures[@]})); then
  printf 'FAIL: %s\n' "${failures[@]}"
  exit 1
fi
echo "PASS"
