#!/usr/bin/env bash
# The seed's cURL demo, run against the real binary: sessions for acme,
# globex and initech (jq -r .session_id), the three chats, and the
# cross-tenant check (curl -i: HTTP/1.1 403 Forbidden and
# {"detail":"Session does not belong to tenant"}), each answer compared
# exactly. Then SIGTERM must stop the server with exit status 0.
#
# The commands are the seed's, with http://localhost:8001 replaced by the
# address of a server started on a free port (port 0; the port is read from
# its "listening on http://HOST:PORT" log line).
#
# Usage: tests/curl_demo_test.sh TENANTD_BINARY TENANTS_FILE
set -euo pipefail

bin="${1:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
tenants="${2:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done

work="$(mktemp -d)"
log_lines=1000 # the whole log on failure
# shellcheck source=tests/support/harness.sh
source "$(dirname "$0")/../support/harness.sh"

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
  if [[ "$2" != "$3" ]]; then
    fail "$1
  expected: $3
  actual:   $2"
  fi
  echo "ok: $1"
}

# --- start the server ------------------------------------------------------------
start_server
BASE="$url"
for _ in $(seq 500); do # 10 s at 20 ms
  curl -s -f -o /dev/null "$BASE/" && break
  kill -0 "$pid" 2>/dev/null || fail "tenantd exited early"
  sleep 0.02
done
curl -s -f -o /dev/null "$BASE/" || fail "GET / did not answer within 10 s"
echo "tenantd listening on $BASE (pid $pid)"

uuid_v4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# --- the seed's demo: sessions ----------------------------------------------------
ACME_SID=$(curl -s -X POST "$BASE/session" \
  -H 'Content-Type: application/json' \
  -d '{"tenant_id":"acme"}' | jq -r .session_id)

echo "ACME_SID=$ACME_SID"

GLOBEX_SID=$(curl -s -X POST "$BASE/session" \
  -H 'Content-Type: application/json' \
  -d '{"tenant_id":"globex"}' | jq -r .session_id)

echo "GLOBEX_SID=$GLOBEX_SID"

INITECH_SID=$(curl -s -X POST "$BASE/session" \
  -H 'Content-Type: application/json' \
  -d '{"tenant_id":"initech"}' | jq -r .session_id)

echo "INITECH_SID=$INITECH_SID"

for sid in "$ACME_SID" "$GLOBEX_SID" "$INITECH_SID"; do
  [[ "$sid" =~ $uuid_v4 ]] || fail "session id '$sid' is not a lowercase UUID v4"
done
[[ "$ACME_SID" != "$GLOBEX_SID" && "$GLOBEX_SID" != "$INITECH_SID" \
   && "$ACME_SID" != "$INITECH_SID" ]] || fail "session ids are not distinct"

# --- the seed's demo: chats -------------------------------------------------------
acme_out=$(curl -s -X POST "$BASE/chat" \
  -H 'Content-Type: application/json' \
  -d "$(jq -n --arg t acme --arg s "$ACME_SID" --arg m 'hello from acme' \
       '{tenant_id:$t, session_id:$s, message:$m}')")
echo "$acme_out"
expect_eq "acme reply" "$(jq -r .reply <<<"$acme_out")" \
  "Howdy from Acme! [ACME MOCK] You said: 'hello from acme'. Here's it reversed: 'emca morf olleh'"
expect_eq "acme body" "$acme_out" \
  "{\"tenant_id\":\"acme\",\"session_id\":\"$ACME_SID\",\"reply\":\"Howdy from Acme! [ACME MOCK] You said: 'hello from acme'. Here's it reversed: 'emca morf olleh'\",\"model\":\"mock-1\",\"mock\":true}"

globex_out=$(curl -s -X POST "$BASE/chat" \
  -H 'Content-Type: application/json' \
  -d "$(jq -n --arg t globex --arg s "$GLOBEX_SID" --arg m 'hello from globex' \
       '{tenant_id:$t, session_id:$s, message:$m}')")
echo "$globex_out"
expect_eq "globex reply" "$(jq -r .reply <<<"$globex_out")" \
  "Welcome from Globex. [GLOBEX MOCK] Echo: HELLO FROM GLOBEX"
expect_eq "globex body" "$globex_out" \
  "{\"tenant_id\":\"globex\",\"session_id\":\"$GLOBEX_SID\",\"reply\":\"Welcome from Globex. [GLOBEX MOCK] Echo: HELLO FROM GLOBEX\",\"model\":\"mock-2\",\"mock\":true}"

initech_out=$(curl -s -X POST "$BASE/chat" \
  -H 'Content-Type: application/json' \
  -d "$(jq -n --arg t initech --arg s "$INITECH_SID" --arg m 'hello from initech' \
       '{tenant_id:$t, session_id:$s, message:$m}')")
echo "$initech_out"
expect_eq "initech reply" "$(jq -r .reply <<<"$initech_out")" \
  "Initech says hi. [INITECH MOCK] Got it. 'hello from initech'. (pretend-smart summary)."
expect_eq "initech body" "$initech_out" \
  "{\"tenant_id\":\"initech\",\"session_id\":\"$INITECH_SID\",\"reply\":\"Initech says hi. [INITECH MOCK] Got it. 'hello from initech'. (pretend-smart summary).\",\"model\":\"mock-3\",\"mock\":true}"

# --- the seed's demo: cross-tenant safety check -------------------------------------
cross_out=$(curl -i -s -X POST "$BASE/chat" \
  -H 'Content-Type: application/json' \
  -d "$(jq -n --arg t globex --arg s "$ACME_SID" --arg m 'should fail' \
       '{tenant_id:$t, session_id:$s, message:$m}')")
echo "$cross_out"
cross_out="${cross_out//$'\r'/}"
expect_eq "cross-tenant status line" "$(head -n 1 <<<"$cross_out")" "HTTP/1.1 403 Forbidden"
expect_eq "cross-tenant body" "$(tail -n 1 <<<"$cross_out")" \
  '{"detail":"Session does not belong to tenant"}'

# --- SIGTERM: a clean stop, exit status 0 -------------------------------------------
kill -TERM "$pid"
stopped() { ! kill -0 "$pid" 2>/dev/null; }
tries=500
until stopped; do
  tries=$((tries - 1))
  ((tries > 0)) || fail "tenantd still running 10 s after SIGTERM"
  sleep 0.02
done
status=0
wait "$pid" || status=$?
pid=""
expect_eq "exit status after SIGTERM" "$status" "0"
grep -q 'stopped' "$log" || fail "no 'stopped' line in the log"

echo "PASS: seed cURL demo"
