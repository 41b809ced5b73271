#!/usr/bin/env bash
# Tenants as a live resource, against the real binary on a fresh data dir:
# 1. COUNT (10,000) tenants created through POST /tenants (wrk -t1 -c64,
#    one new id per request): the time it took.
# 2. More tenants until TOTAL (100,000) are registered; with TENANT_IDLE=2
#    every tenant actor is passivated soon after: RSS then. Then a restart on
#    the same data dir (every tenant starts passivated): RSS after start-up
#    and after one request to each of 1,000 tenants and their passivation.
#
#   bench/lifecycle.sh [BUILD_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
count=${COUNT:-10000}
total=${TOTAL:-100000}
port=${PORT:-18183}
token=bench-admin-token-0123456789abcdef
data=$(mktemp -d)
log=$(mktemp)
script=$(mktemp --suffix=.lua)
pid=""
trap 'kill $pid 2>/dev/null || true; rm -rf "$data" "$log" "$script"' EXIT
url=http://127.0.0.1:$port

start() {
  ADMIN_TOKEN=$token TENANT_IDLE=2 "$build/tenantd" --host 127.0.0.1 \
    --port "$port" --data-dir "$data" \
    --tenants-file "$here/tenants-bench.jsonl" 2>>"$log" &
  pid=$!
  for _ in $(seq 400); do curl -sf "$url/" >/dev/null && return; sleep 0.05; done
  echo "server did not start" >&2; cat "$log" >&2; exit 1
}
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
# create PREFIX COUNT: bursts of 1 s of wrk (ids PREFIX.BURST-N) until at
# least COUNT tenants were created; prints the count, time and rate.
create() {
  local created=0 burst=0 n start end
  start=$(date +%s.%N)
  while ((created < $2)); do
    burst=$((burst + 1))
    n=$(PREFIX="$1$burst" ADMIN_TOKEN=$token wrk -t1 -c64 -d1s \
      -s "$here/wrk/create_tenants.lua" "$url/" | awk '/^CREATED/ {print $2}')
    created=$((created + n))
  done
  end=$(date +%s.%N)
  awk -v c="$created" -v s="$start" -v e="$end" \
    'BEGIN {printf "%d tenants created in %.2f s (%.0f/s)", c, e - s, c / (e - s)}'
}
registered() {
  curl -sf "$url/tenants?limit=1" -H "Authorization: Bearer $token" | jq .total
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
start
echo "RSS at start: $(rss_mib) MiB"
echo "1. $count tenants through the API: $(create a "$count")"
echo "   registered: $(registered); RSS $(rss_mib) MiB"
echo "2. up to $total tenants: $(create b $((total - count)))"
sleep 4 # TENANT_IDLE=2, swept every 0.5 s
echo "   registered: $(registered); all passivated; RSS $(rss_mib) MiB"
kill "$pid"; wait "$pid" 2>/dev/null || true
start
echo "   after a restart with $(registered) stored tenants: RSS $(rss_mib) MiB"
for i in $(seq 1000); do
  curl -sf -o /dev/null -X POST "$url/session" -H 'Content-Type: application/json' \
    -d "{\"tenant_id\":\"b1-$((i + 1))\"}"
done
echo "   1,000 tenants activated by a session each: RSS $(rss_mib) MiB"
sleep 4
echo "   ...and passivated again: RSS $(rss_mib) MiB"
echo "   database: $(du -sh "$data" | cut -f1)"
