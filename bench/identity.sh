#!/usr/bin/env bash
# Identity and access, side by side in one run against the real binary
# (docs/benchmarks.md, "Identity and access"):
# 1. POST /chat on an open tenant (no credential), on a `required` tenant
#    with an access token (JWT), and with an API key; the three interleaved,
#    REPEATS rounds, medians and ratios to the open tenant.
# 2. POST /auth/token with the password grant at the default Argon2id cost:
#    throughput and p99 (CONNECTIONS_TOKEN concurrent clients).
# 3. Another tenant's POST /chat p99 alone, then while STORM concurrent
#    wrong-password logins run (throttling off, so that every one hashes).
#
#   bench/identity.sh [BUILD_DIR]
#   DURATION=10s REPEATS=5 bench/identity.sh build
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bin=$build/tenantd
duration=${DURATION:-10s}
repeats=${REPEATS:-5}
connections=${CONNECTIONS:-64}
token_connections=${CONNECTIONS_TOKEN:-8}
storm=${STORM:-200}
port=${PORT:-18191}
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
raise_fd_limit

log=$(mktemp)
scripts=$(mktemp -d)
data=$(mktemp -d)
token=bench-admin-token-0123456789abcdef
password=correct-horse-battery
# Throttling off: the storm must reach the hashes (from one address, it
# would be refused after 5 failures without hashing at all).
# shellcheck disable=SC2086 # SERVER_ENV: NAME=VALUE words
ADMIN_TOKEN=$token LOGIN_FREE_FAILURES=1000000 env ${SERVER_ENV:-} \
  "$bin" --host 127.0.0.1 --port "$port" --data-dir "$data" \
  --tenants-file "$here/tenants-bench.jsonl" 2>"$log" &
pid=$!
storm_pid=
trap 'kill $pid $storm_pid 2>/dev/null || true; rm -rf "$log" "$data" "$scripts"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$url/" >/dev/null && break; sleep 0.05; done

admin=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
curl -sf -X POST "$url/tenants" "${admin[@]}" \
  -d '{"id":"vault","name":"Vault","welcome":"Members only.","auth":"required"}' >/dev/null
curl -sf -X POST "$url/tenants/vault/users" "${admin[@]}" \
  -d "{\"email\":\"ann@example.com\",\"password\":\"$password\",\"role\":\"member\"}" >/dev/null
key=$(curl -sf -X POST "$url/tenants/vault/keys" "${admin[@]}" -d '{"name":"bench"}' | jq -r .key)
jwt=$(curl -sf "$url/auth/token" -d grant_type=password -d tenant=vault \
  -d username=ann@example.com -d "password=$password" | jq -r .access_token)
session_as() { # tenant authorization-or-empty
  local auth=()
  [ -n "$2" ] && auth=(-H "Authorization: $2")
  curl -sf -X POST "$url/session" "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"tenant_id\":\"$1\"}" | jq -r .session_id
}
open_session=$(session_as acme "")
jwt_session=$(session_as vault "Bearer $jwt")
key_session=$(session_as vault "Bearer $key")


cat "$here/wrk/auth_chat.lua" "$here/wrk/report.lua" >"$scripts/chat.lua"
cat "$here/wrk/token.lua" "$here/wrk/report.lua" >"$scripts/token.lua"

echo "machine: $(machine)"
echo "server: $bin (defaults; LOGIN_FREE_FAILURES=1000000); wrk -t1, $repeats rounds of $duration"

chat() { # tenant session authorization connections duration
  TENANT=$1 SESSION=$2 AUTH=$3 wrk -t1 -c"$4" -d"$5" -s "$scripts/chat.lua" "$url/" |
    grep '^RESULT'
}

if [ -z "${ONLY_STORM:-}" ]; then
echo "== POST /chat: open tenant, required tenant with a JWT, with an API key (-c$connections)"
declare -a open_r jwt_r key_r
for i in $(seq "$repeats"); do
  line=$(chat acme "$open_session" "" "$connections" "$duration"); open_r+=("$line")
  echo "open run $i: ${line#RESULT }"
  line=$(chat vault "$jwt_session" "Bearer $jwt" "$connections" "$duration"); jwt_r+=("$line")
  echo "jwt  run $i: ${line#RESULT }"
  line=$(chat vault "$key_session" "Bearer $key" "$connections" "$duration"); key_r+=("$line")
  echo "key  run $i: ${line#RESULT }"
done
read -r open_rps _ open_p99 <<<"$(result_medians "${open_r[@]}")"
read -r jwt_rps _ jwt_p99 <<<"$(result_medians "${jwt_r[@]}")"
read -r key_rps _ key_p99 <<<"$(result_medians "${key_r[@]}")"
echo "open median: rps=$open_rps p99_ms=$open_p99"
echo "jwt  median: rps=$jwt_rps p99_ms=$jwt_p99 ($(awk "BEGIN {printf \"%.0f\", 100 * $jwt_rps / $open_rps}") % of open)"
echo "key  median: rps=$key_rps p99_ms=$key_p99 ($(awk "BEGIN {printf \"%.0f\", 100 * $key_rps / $open_rps}") % of open)"

echo "== POST /auth/token, password grant (-c$token_connections)"
declare -a token_r
for i in $(seq "$repeats"); do
  line=$(TENANT=vault EMAIL=ann%40example.com PASSWORD=$password \
    wrk -t1 -c"$token_connections" -d"$duration" -s "$scripts/token.lua" "$url/" | grep '^RESULT')
  token_r+=("$line")
  sleep 2 # jobs of the connections wrk dropped at the end still run
  echo "token run $i: ${line#RESULT }"
done
read -r token_rps token_p50 token_p99 <<<"$(result_medians "${token_r[@]}")"
echo "token median: rps=$token_rps p50_ms=$token_p50 p99_ms=$token_p99"

fi
echo "== another tenant's POST /chat (-c8) alone, then beside $storm wrong-password logins"
declare -a calm_r stormy_r
for i in $(seq "$repeats"); do
  line=$(chat acme "$open_session" "" 8 "$duration"); calm_r+=("$line")
  echo "alone  run $i: ${line#RESULT }"
  TENANT=vault EMAIL=ann%40example.com PASSWORD=wrong-password-here \
    wrk -t1 -c"$storm" -d"$(( ${duration%s} + 2 ))s" -s "$scripts/token.lua" "$url/" \
    >"$scripts/storm.out" 2>&1 &
  storm_pid=$!
  sleep 1
  line=$(chat acme "$open_session" "" 8 "$duration"); stormy_r+=("$line")
  wait "$storm_pid" || true
  storm_pid=
  echo "storm  run $i: ${line#RESULT } (logins: $(grep '^RESULT' "$scripts/storm.out" | cut -d' ' -f2-))"
done
read -r calm_rps _ calm_p99 <<<"$(result_medians "${calm_r[@]}")"
read -r stormy_rps _ stormy_p99 <<<"$(result_medians "${stormy_r[@]}")"
echo "alone median: rps=$calm_rps p99_ms=$calm_p99"
echo "storm median: rps=$stormy_rps p99_ms=$stormy_p99 ($(awk "BEGIN {printf \"%.2f\", $stormy_p99 / $calm_p99}")x)"
