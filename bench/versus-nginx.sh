#!/usr/bin/env bash
# tenantd beside Debian's nginx on the same machine, in the same run:
# nginx (one worker, a config made here) answers every request with a
# static JSON body of the same size as tenantd's answer, so the comparison
# is HTTP handling against HTTP handling plus the actors' work.
#
# For each of POST /chat and GET /: REPEATS rounds, each round one wrk run
# against nginx and one against tenantd, back to back (wrk -t1 -c64, on the
# same cores); prints every run, the medians and tenantd's share of
# nginx's requests per second. POST /chat is measured with ACTOR_THREADS=1
# and 2 (two tenantd processes, one after the other, each beside nginx).
#
#   bench/versus-nginx.sh [BUILD_DIR]          (make bench-nginx)
#   REPEATS=5 DURATION=10s CONNECTIONS=64 bench/versus-nginx.sh build
#   TENANTD_ARGS="--io-threads 1" bench/versus-nginx.sh build
#   BASELINE=/tmp/old/build/tenantd bench/versus-nginx.sh build
#
# BASELINE, if set, is another tenantd binary (an earlier commit, say)
# measured in the same rounds, right after this one.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bin=$build/tenantd
duration=${DURATION:-10s}
repeats=${REPEATS:-5}
connections=${CONNECTIONS:-64}
tenantd_port=${PORT:-18191}
nginx_port=${NGINX_PORT:-18192}
extra_args=${TENANTD_ARGS:-}
baseline=${BASELINE:-}
baseline_port=$((tenantd_port + 2))
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

"$here/../scripts/install-deps.sh" --bench >/dev/null
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx missing" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d)
tenantd_pid=""
baseline_pid=""
nginx_pid=""
cleanup() {
  [ -n "$tenantd_pid" ] && kill "$tenantd_pid" 2>/dev/null || true
  [ -n "$baseline_pid" ] && kill "$baseline_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# spawn BIN PORT ACTOR_THREADS DIR: starts a tenantd, prints its pid.
spawn() {
  rm -rf "$4"
  # shellcheck disable=SC2086
  "$1" --host 127.0.0.1 --port "$2" --data-dir "$4" \
    --tenants-file "$here/tenants-bench.jsonl" --actor-threads "$3" \
    $extra_args >/dev/null 2>"$4.log" &
  echo $!
}
wait_up() { # URL LOG
  for _ in $(seq 200); do curl -sf "$1/" >/dev/null && return; sleep 0.05; done
  echo "tenantd did not start" >&2
  cat "$2" >&2
  exit 1
}
start_tenantd() { # ACTOR_THREADS
  tenantd_pid=$(spawn "$bin" "$tenantd_port" "$1" "$work/data")
  wait_up "$url" "$work/data.log"
  if [ -n "$baseline" ]; then
    baseline_pid=$(spawn "$baseline" "$baseline_port" "$1" "$work/baseline")
    wait_up "$baseline_url" "$work/baseline.log"
  fi
}
stop_tenantd() {
  kill "$tenantd_pid" $baseline_pid
  wait "$tenantd_pid" $baseline_pid 2>/dev/null || true
  tenantd_pid=""
  baseline_pid=""
}
url=http://127.0.0.1:$tenantd_port
baseline_url=http://127.0.0.1:$baseline_port

# A JSON body of exactly N bytes: {"pad":"xxx…"}.
body_of_size() {
  local n=$1 pad
  pad=$(printf '%*s' $((n - 10)) '' | tr ' ' x)
  printf '{"pad":"%s"}' "$pad"
}

# The sizes of tenantd's answers, measured on it: a chat in acme (the
# longest reply of the three tenants the wrk script rotates over is acme's,
# take the mean) and GET /.
start_tenantd 1
open_chat_sessions "$url"
chat_size=0
for t in acme globex initech; do
  var="SESSION_${t^^}"
  size=$(curl -s -X POST "$url/chat" -H 'Content-Type: application/json' \
    -d "{\"tenant_id\":\"$t\",\"session_id\":\"${!var}\",\"message\":\"hello from $t, ünïcödé ✓\"}" | wc -c)
  chat_size=$((chat_size + size))
done
chat_size=$((chat_size / 3))
root_size=$(curl -s "$url/" | wc -c)
stop_tenantd

mkdir -p "$work/nginx"
nginx_conf "$work/nginx" "$nginx_port" \
  "location = /chat { return 200 '$(body_of_size "$chat_size")'; } location = / { return 200 '$(body_of_size "$root_size")'; }"
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port
for _ in $(seq 100); do curl -sf "$nginx_url/" >/dev/null && break; sleep 0.05; done

chat_script=$work/chat.lua
cat "$here/wrk/chat.lua" "$here/wrk/report.lua" >"$chat_script"

echo "machine: $(machine)"
echo "tenantd: $bin $extra_args; nginx: $("$nginx_bin" -v 2>&1 | sed 's/.*: //'), 1 worker"
echo "wrk -t1 -c$connections -d$duration, $repeats rounds; answers: /chat $chat_size B, / $root_size B"

run_wrk() { # URL SCRIPT
  # tenantd's sessions are its own (wrk/chat.lua reads them from the
  # environment); nginx ignores them.
  [ "$1" = "$nginx_url" ] || open_chat_sessions "$1"
  wrk -t1 -c"$connections" -d"$duration" -s "$2" "$1/" | grep '^RESULT'
}

share() { # A B: A as a percentage of B
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f%%", 100 * a / b}'
}

# compare NAME SCRIPT: REPEATS rounds of nginx, tenantd (and the baseline).
compare() {
  local name=$1 script=$2 ours=() theirs=() base=() line
  for i in $(seq "$repeats"); do
    line=$(run_wrk "$nginx_url" "$script")
    echo "$name nginx    run $i: ${line#RESULT }"
    theirs+=("$line")
    line=$(run_wrk "$url" "$script")
    echo "$name tenantd  run $i: ${line#RESULT }"
    ours+=("$line")
    if [ -n "$baseline" ]; then
      line=$(run_wrk "$baseline_url" "$script")
      echo "$name baseline run $i: ${line#RESULT }"
      base+=("$line")
    fi
  done
  read -r n_rps _ n_p99 <<<"$(result_medians "${theirs[@]}")"
  read -r t_rps t_p50 t_p99 <<<"$(result_medians "${ours[@]}")"
  echo "$name median: nginx rps=$n_rps p99_ms=$n_p99; tenantd rps=$t_rps p50_ms=$t_p50 p99_ms=$t_p99; tenantd/nginx=$(share "$t_rps" "$n_rps")"
  if [ -n "$baseline" ]; then
    read -r b_rps b_p50 b_p99 <<<"$(result_medians "${base[@]}")"
    echo "$name median: baseline rps=$b_rps p50_ms=$b_p50 p99_ms=$b_p99; baseline/nginx=$(share "$b_rps" "$n_rps")"
  fi
}

for threads in 1 2; do
  start_tenantd "$threads"
  compare "POST /chat (ACTOR_THREADS=$threads)" "$chat_script"
  if [ "$threads" = 1 ]; then
    compare "GET / (ACTOR_THREADS=$threads)" "$here/wrk/report.lua"
  fi
  stop_tenantd
done
