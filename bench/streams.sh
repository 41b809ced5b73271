#!/usr/bin/env bash
# Memory per open stream: N clients each hold a streamed POST /chat open
# (its head and first delta received) against a tenant whose upstream
# (bench/streams.py upstream) keeps every stream open, and tenantd's
# resident memory is read before and while they are open. Each count runs
# on a fresh tenantd, REPEATS times; the figure is the median of
# (RSS open - RSS before) / N.
#
# Each stream holds two sockets in tenantd (the client's and the
# upstream's), and a process here may open at most `ulimit -Hn`
# descriptors: the largest count is what that allows.
#
#   bench/streams.sh [BUILD_DIR]                     (make bench-streams)
#   REPEATS=3 STREAMS="1000 5000 9000" bench/streams.sh build
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bin=$build/tenantd
repeats=${REPEATS:-3}
limit=$(ulimit -Hn)
# 10,000, or as many as the descriptor limit allows (in thousands).
fits=$(((limit - 200) / 2 / 1000 * 1000))
streams=${STREAMS:-"1000 5000 $((fits < 10000 ? fits : 10000))"}
tenantd_port=${PORT:-18293}
upstream_port=${UPSTREAM_PORT:-18294}
token=bench-admin-token-0123456789abcdef
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

ulimit -n "$limit"
work=$(mktemp -d)
tenantd_pid=""
upstream_pid=""
cleanup() {
  [ -n "$tenantd_pid" ] && kill "$tenantd_pid" 2>/dev/null || true
  [ -n "$upstream_pid" ] && kill "$upstream_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$here/streams.py" upstream "$upstream_port" &
upstream_pid=$!
url=http://127.0.0.1:$tenantd_port

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# run N: prints "before_kib open_kib opened".
run() {
  rm -rf "$work/data"
  MAX_CONNECTIONS=$((limit)) MAX_CONNECTIONS_PER_ADDRESS=0 \
    TENANT_MAX_IN_FLIGHT=$((limit)) ADMIN_TOKEN=$token \
    "$bin" --host 127.0.0.1 --port "$tenantd_port" --data-dir "$work/data" \
    --tenants-file "$here/tenants-bench.jsonl" >/dev/null 2>"$work/tenantd.log" &
  tenantd_pid=$!
  for _ in $(seq 200); do curl -sf "$url/" >/dev/null && break; sleep 0.05; done
  curl -sf -X POST "$url/tenants" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"id\":\"streams\",\"name\":\"Streams\",\"welcome\":\"Hi\",\"ai\":{\"provider\":\"openai\",\"base_url\":\"http://127.0.0.1:$upstream_port/v1\",\"model\":\"m\",\"max_tokens\":1000,\"timeout_ms\":600000,\"history\":{\"turns\":0}}}" >/dev/null
  local sid
  sid=$(curl -sf -X POST "$url/session" -H 'Content-Type: application/json' \
    -d '{"tenant_id":"streams"}' | jq -r .session_id)
  # Warm: one stream opened and closed, so that the pools and arenas a
  # first stream sets up are in the figure before.
  echo | python3 "$here/streams.py" clients "$url" streams "$sid" 1 >/dev/null
  sleep 0.5
  local before
  before=$(rss_kib "$tenantd_pid")
  mkfifo "$work/hold"
  python3 "$here/streams.py" clients "$url" streams "$sid" "$1" \
    <"$work/hold" >"$work/clients.out" &
  local clients_pid=$!
  exec 7>"$work/hold"
  for _ in $(seq 1200); do grep -q '^open' "$work/clients.out" && break; sleep 0.1; done
  sleep 1
  local open opened
  open=$(rss_kib "$tenantd_pid")
  opened=$(awk '/^open/ {print $2}' "$work/clients.out")
  exec 7>&-
  wait "$clients_pid" || true
  rm -f "$work/hold"
  kill "$tenantd_pid"
  wait "$tenantd_pid" 2>/dev/null || true
  tenantd_pid=""
  echo "$before $open $opened"
}

echo "machine: $(machine)"
echo "tenantd: $bin; descriptors per process: $limit; $repeats rounds per count"
for n in $streams; do
  per=()
  for i in $(seq "$repeats"); do
    read -r before open opened <<<"$(run "$n")"
    kib=$(awk -v a="$before" -v b="$open" -v n="$opened" \
      'BEGIN {printf "%.1f", (n > 0) ? (b - a) / n : 0}')
    echo "n=$n run $i: opened=$opened rss_before_kib=$before rss_open_kib=$open per_stream_kib=$kib"
    per+=("$kib")
  done
  echo "n=$n median per_stream_kib=$(printf '%s\n' "${per[@]}" | median)"
done
