#!/usr/bin/env bash
# Session expiry and tenant passivation on the real binary, in real time with
# short settings (SESSION_TTL=2, TENANT_IDLE=1):
# - a session used within its TTL keeps working; one left unused past it
#   answers 404 {"detail":"Unknown session_id"}, also after a restart (it is
#   gone from the store, not only from memory);
# - a tenant's own limits.session_ttl wins over SESSION_TTL;
# - an idle tenant's actor is passivated (stats.active false) and the next
#   request reactivates it with its sessions and counters intact.
#
# Usage: tests/expiry_test.sh TENANTD_BINARY TENANTS_FILE
set -euo pipefail

bin="${1:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
tenants="${2:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
work="$(mktemp -d)"
token=expiry-test-token-0123456789abcdef
log_lines=30
# shellcheck source=tests/support/harness.sh
source "$(dirname "$0")/../support/harness.sh"

start_short_lived() {
  start_server ADMIN_TOKEN=$token SESSION_TTL=2 TENANT_IDLE=1
}

open_session() { # TENANT
  curl -sf -X POST "$url/session" -H 'Content-Type: application/json' \
    -d "{\"tenant_id\":\"$1\"}" | jq -r .session_id
}
chat() { # TENANT SESSION -> "STATUS BODY"
  curl -s -w ' %{http_code}' -X POST "$url/chat" -H 'Content-Type: application/json' \
    -d "{\"tenant_id\":\"$1\",\"session_id\":\"$2\",\"message\":\"hi\"}"
}
expect_chat() { # WHAT TENANT SESSION STATUS
  local got
  got=$(chat "$2" "$3")
  [[ "${got##* }" == "$4" ]] || fail "$1: expected $4, got: $got"
  echo "ok: $1 ($4)"
}
tenant() { # ID
  curl -sf "$url/tenants/$1" -H "Authorization: Bearer $token"
}

start_short_lived

# --- expiry ---------------------------------------------------------------------------
kept=$(open_session acme)
left=$(open_session acme)
for _ in 1 2 3; do
  sleep 1
  expect_chat "a session used every second lives past its TTL" acme "$kept" 200
done
got=$(chat acme "$left")
[[ "$got" == '{"detail":"Unknown session_id"} 404' ]] \
  || fail "an unused session did not expire after 3 s: $got"
echo "ok: a session unused for longer than SESSION_TTL answers 404 Unknown session_id"

# A tenant with its own, longer TTL keeps its sessions.
status=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH "$url/tenants/globex" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/merge-patch+json' \
  -d '{"limits":{"session_ttl":30}}')
[[ "$status" == 200 ]] || fail "PATCH globex limits.session_ttl: $status"
long=$(open_session globex)
sleep 3
expect_chat "limits.session_ttl wins over SESSION_TTL" globex "$long" 200

# --- passivation ------------------------------------------------------------------------
sid=$(open_session initech)
expect_chat "initech chats" initech "$sid" 200
active=""
for _ in $(seq 50); do # TENANT_IDLE=1, swept every 0.25 s
  active=$(tenant initech | jq -r .stats.active)
  [[ "$active" == false ]] && break
  sleep 0.1
done
[[ "$active" == false ]] || fail "initech was not passivated after 5 s idle"
body=$(tenant initech)
[[ "$(jq -r .stats.chats <<<"$body")" == 1 ]] || fail "passivated initech lost its chat count: $body"
[[ "$(jq -r .stats.sessions <<<"$body")" == 1 ]] || fail "passivated initech lost its session: $body"
echo "ok: an idle tenant is passivated with its counters and sessions stored"
expect_chat "the next request reactivates it, session intact" initech "$sid" 200
[[ "$(tenant initech | jq -r .stats.active)" == true ]] || fail "initech is not active again"
[[ "$(tenant initech | jq -r .stats.chats)" == 2 ]] || fail "initech's chat count did not continue"
echo "ok: reactivated with its counters"

# --- expired sessions stay gone after a restart ------------------------------------------
kill -TERM "$pid"; wait "$pid" || fail "SIGTERM did not give exit status 0"
start_short_lived
got=$(chat acme "$left")
[[ "$got" == '{"detail":"Unknown session_id"} 404' ]] \
  || fail "an expired session came back after a restart: $got"
expect_chat "globex's long-TTL session survives the restart" globex "$long" 200
echo "ok: expiry is durable"
