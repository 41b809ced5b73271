#!/usr/bin/env bash
# The AI gateway's overhead: POST /chat of a tenant whose AI route
# (ai.provider "openai") is a local upstream, against that upstream called
# directly with the completion request tenantd sends it, side by side in
# the same rounds and at the same concurrency. The upstream is Debian's
# nginx (one worker) answering every POST /v1/chat/completions with a
# fixed completion, so the difference is what tenantd adds: parsing and
# validating the chat, the tenant actor's admission (rate limit, breaker,
# token reservation), the upstream client (pooled keep-alive connection,
# request, answer parsing) and the report that settles tokens and stores
# the exchange (group-committed SQLite writes).
#
# Also measured in the same rounds: POST /chat of a mock tenant (acme).
#
#   bench/upstream.sh [BUILD_DIR]              (make bench-upstream)
#   REPEATS=5 DURATION=10s CONNECTIONS="1 16" bench/upstream.sh build
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bin=$build/tenantd
duration=${DURATION:-10s}
repeats=${REPEATS:-5}
connections=${CONNECTIONS:-1 16}
tenantd_port=${PORT:-18291}
nginx_port=${NGINX_PORT:-18292}
token=bench-admin-token-0123456789abcdef
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

"$here/../scripts/install-deps.sh" --bench >/dev/null
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "nginx missing" >&2; exit 1; }

work=$(mktemp -d)
tenantd_pid=""
nginx_pid=""
cleanup() {
  [ -n "$tenantd_pid" ] && kill "$tenantd_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

completion='{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! This is a fixed answer from the benchmark upstream."},"finish_reason":"stop"}],"usage":{"prompt_tokens":24,"completion_tokens":12,"total_tokens":36}}'
mkdir -p "$work/nginx"
nginx_conf "$work/nginx" "$nginx_port" \
  "location = /v1/chat/completions { return 200 '$completion'; } location = / { return 200 '{}'; }"
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
upstream=http://127.0.0.1:$nginx_port
for _ in $(seq 100); do curl -sf "$upstream/" >/dev/null && break; sleep 0.05; done

url=http://127.0.0.1:$tenantd_port
ADMIN_TOKEN=$token "$bin" --host 127.0.0.1 --port "$tenantd_port" \
  --data-dir "$work/data" --tenants-file "$here/tenants-bench.jsonl" \
  >/dev/null 2>"$work/tenantd.log" &
tenantd_pid=$!
for _ in $(seq 200); do curl -sf "$url/" >/dev/null && break; sleep 0.05; done
curl -sf "$url/" >/dev/null || { cat "$work/tenantd.log" >&2; exit 1; }

# The AI tenant: no history sent (every upstream request the same size),
# so the direct calls can send exactly what tenantd sends.
curl -sf -X POST "$url/tenants" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' \
  -d "{\"id\":\"gateway\",\"name\":\"Gateway\",\"welcome\":\"Hi\",\"ai\":{\"provider\":\"openai\",\"base_url\":\"$upstream/v1\",\"model\":\"bench-model\",\"system_prompt\":\"You are {name}'s assistant.\",\"max_tokens\":64,\"history\":{\"turns\":0}}}" >/dev/null
ai_sid=$(curl -sf -X POST "$url/session" -H 'Content-Type: application/json' \
  -d '{"tenant_id":"gateway"}' | jq -r .session_id)
mock_sid=$(curl -sf -X POST "$url/session" -H 'Content-Type: application/json' \
  -d '{"tenant_id":"acme"}' | jq -r .session_id)
message="hello from the benchmark, ünïcödé ✓"
answer=$(curl -sf -X POST "$url/chat" -H 'Content-Type: application/json' \
  -d "{\"tenant_id\":\"gateway\",\"session_id\":\"$ai_sid\",\"message\":\"$message\"}")
jq -e '.mock == false' <<<"$answer" >/dev/null || { echo "not proxied: $answer" >&2; exit 1; }

# post.lua PATH BODY: one fixed POST per request.
post_script() { # FILE PATH BODY
  {
    printf 'local body = [[%s]]\n' "$3"
    printf 'local req\ninit = function() req = wrk.format("POST", "%s", {["Content-Type"] = "application/json"}, body) end\n' "$2"
    printf 'request = function() return req end\n'
    cat "$here/wrk/report.lua"
  } >"$1"
}
direct_body="{\"model\":\"bench-model\",\"messages\":[{\"role\":\"system\",\"content\":\"You are Gateway's assistant.\"},{\"role\":\"user\",\"content\":\"$message\"}],\"max_tokens\":64,\"stream\":false}"
post_script "$work/direct.lua" /v1/chat/completions "$direct_body"
post_script "$work/gateway.lua" /chat \
  "{\"tenant_id\":\"gateway\",\"session_id\":\"$ai_sid\",\"message\":\"$message\"}"
post_script "$work/mock.lua" /chat \
  "{\"tenant_id\":\"acme\",\"session_id\":\"$mock_sid\",\"message\":\"$message\"}"

echo "machine: $(machine)"
echo "tenantd: $bin; upstream: nginx $("$nginx_bin" -v 2>&1 | sed 's/.*: //'), 1 worker"
echo "wrk -t1 -d$duration, $repeats rounds per concurrency"

for c in $connections; do
  direct=() gateway=() mock=()
  for i in $(seq "$repeats"); do
    line=$(wrk -t1 -c"$c" -d"$duration" -s "$work/direct.lua" "$upstream/" | grep '^RESULT')
    echo "c=$c direct  run $i: ${line#RESULT }"
    direct+=("$line")
    line=$(wrk -t1 -c"$c" -d"$duration" -s "$work/gateway.lua" "$url/" | grep '^RESULT')
    echo "c=$c gateway run $i: ${line#RESULT }"
    gateway+=("$line")
    line=$(wrk -t1 -c"$c" -d"$duration" -s "$work/mock.lua" "$url/" | grep '^RESULT')
    echo "c=$c mock    run $i: ${line#RESULT }"
    mock+=("$line")
  done
  read -r d_rps d_p50 d_p99 <<<"$(result_medians "${direct[@]}")"
  read -r g_rps g_p50 g_p99 <<<"$(result_medians "${gateway[@]}")"
  read -r m_rps m_p50 m_p99 <<<"$(result_medians "${mock[@]}")"
  echo "c=$c median: direct rps=$d_rps p50_ms=$d_p50 p99_ms=$d_p99; gateway rps=$g_rps p50_ms=$g_p50 p99_ms=$g_p99; mock rps=$m_rps p50_ms=$m_p50 p99_ms=$m_p99"
  awk -v c="$c" -v a="$g_p50" -v b="$d_p50" -v x="$g_p99" -v y="$d_p99" \
    'BEGIN {printf "c=%s added: p50 %.3f ms, p99 %.3f ms\n", c, a - b, x - y}'
done
