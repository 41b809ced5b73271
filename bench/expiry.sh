#!/usr/bin/env bash
# Bounded memory under session churn: POST /session (wrk -t1 -c64) until
# SESSIONS (5,000,000) sessions were created, with SESSION_TTL=TTL (5) so
# they keep expiring; the server's RSS and the database size are sampled
# after every 10 s of load. Flat RSS means expired sessions really leave
# memory (tenant actors, the store's index) and the store.
#
#   bench/expiry.sh [BUILD_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
sessions=${SESSIONS:-5000000}
ttl=${TTL:-5}
port=${PORT:-18184}
data=$(mktemp -d)
script=$(mktemp --suffix=.lua)
trap 'kill $pid 2>/dev/null || true; rm -rf "$data" "$script"' EXIT
SESSION_TTL=$ttl "$build/tenantd" --host 127.0.0.1 --port "$port" \
  --data-dir "$data" --tenants-file "$here/tenants-bench.jsonl" 2>/dev/null &
pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$url/" >/dev/null && break; sleep 0.05; done
cat "$here/wrk/session.lua" - >"$script" <<'LUA'
done = function(summary)
  io.write(string.format("OPENED %d %.0f\n", summary.requests - summary.errors.status,
    summary.requests / (summary.duration / 1e6)))
end
LUA

echo "machine: $(nproc) cores; SESSION_TTL=$ttl; sampling every 10 s of load"
opened=0
while [ "$opened" -lt "$sessions" ]; do
  read -r _ n rps < <(wrk -t1 -c64 -d10s -s "$script" "$url/" | grep '^OPENED')
  opened=$((opened + n))
  rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
  echo "sessions created: $opened  rate: $rps/s  RSS: $rss MiB  data: $(du -sm "$data" | cut -f1) MiB"
done
