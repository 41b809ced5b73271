#!/usr/bin/env bash
# Durability of the real binary on a real data directory:
# - Three rounds of: start, run four writers (create tenant, patch it,
#   suspend every fifth, open a session) that record each write only once it
#   was acknowledged with a 2xx, then kill -9 the server in the middle of the
#   stream. After every restart, each acknowledged write is checked: the
#   tenant exists with its patched name and status, and each session still
#   chats.
# - The generated admin token file is owner-only and the token never appears
#   in the log.
# - A data directory holding a corrupt database, one in use by a running
#   server, or a path that is not a directory, stops start-up with a clear
#   message, and the corrupt file is left exactly as it was.
#
# Usage: tests/durability_test.sh TENANTD_BINARY TENANTS_FILE
set -euo pipefail

bin="${1:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
tenants="${2:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done

work="$(mktemp -d)"
data="$work/data"
writers=()
on_exit() {
  for w in "${writers[@]}"; do kill "$w" 2>/dev/null || true; done
}
# shellcheck source=tests/support/harness.sh
source "$(dirname "$0")/../support/harness.sh"

# Sanitizer builds serve several times slower: scripts/test-sanitize.sh sets
# TENANTD_TEST_TIME_SCALE so that the writers run that many seconds (and a
# random fraction) before each kill -9, instead of one, to make their 20
# acknowledged writes.
time_scale="${TENANTD_TEST_TIME_SCALE:-1}"

start_admin_server() {
  start_server
  token="$(cat "$data/admin-token")"
}

kill_server() {
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

# writer NAME: writes until killed; appends each acknowledged write to
# $work/acked.NAME as "tenant ID NAME STATUS" or "session ID SESSION".
writer() {
  local name="$1" k=0 id sid status
  local acked="$work/acked.$name"
  while true; do
    k=$((k + 1))
    id="$name-$k"
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/tenants" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"id\":\"$id\",\"name\":\"Tenant-$id\",\"welcome\":\"Hi from $id\"}") || true
    [[ "$status" == 201 ]] || continue
    echo "tenant $id Tenant-$id active" >>"$acked"
    status=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH "$url/tenants/$id" \
      -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/merge-patch+json' \
      -d "{\"name\":\"Patched-$id\"}") || true
    [[ "$status" == 200 ]] || continue
    echo "tenant $id Patched-$id active" >>"$acked"
    sid=$(curl -sf -X POST "$url/session" -H 'Content-Type: application/json' \
      -d "{\"tenant_id\":\"$id\"}" | jq -r .session_id) || continue
    [[ -n "$sid" && "$sid" != null ]] || continue
    echo "session $id $sid" >>"$acked"
    if ((k % 5 == 0)); then
      status=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
        "$url/tenants/$id/suspend" -H "Authorization: Bearer $token") || true
      [[ "$status" == 200 ]] && echo "tenant $id Patched-$id suspended" >>"$acked"
    fi
  done
}

# Checks every acknowledged write of every round so far.
verify() {
  local checked=0 kind id a b body name status
  declare -A name_of status_of
  for file in "$work"/acked.*; do
    [[ -e "$file" ]] || continue
    while read -r kind id a b; do
      if [[ "$kind" == tenant ]]; then
        name_of[$id]="$a"
        status_of[$id]="$b"
      fi
    done <"$file"
  done
  # A write may be committed and the server killed before its answer was
  # sent: then the store is one step ahead of the last acknowledged state
  # (patched, or suspended), never behind it.
  declare -A actual_status
  for id in "${!name_of[@]}"; do
    body=$(curl -s "$url/tenants/$id" -H "Authorization: Bearer $token")
    name=$(jq -r .name <<<"$body")
    status=$(jq -r .status <<<"$body")
    [[ "$name" == "${name_of[$id]}" || "$name" == "Patched-$id" ]] \
      || fail "tenant $id: name '$name' is older than the acknowledged '${name_of[$id]}': $body"
    [[ "$status" == "${status_of[$id]}" \
       || ("${status_of[$id]}" == active && "$status" == suspended) ]] \
      || fail "tenant $id: status '$status' is not the acknowledged '${status_of[$id]}': $body"
    actual_status[$id]=$status
    checked=$((checked + 1))
  done
  for file in "$work"/acked.*; do
    [[ -e "$file" ]] || continue
    while read -r kind id a b; do
      [[ "$kind" == session ]] || continue
      [[ "${actual_status[$id]}" == active ]] || continue
      body=$(curl -s -X POST "$url/chat" -H 'Content-Type: application/json' \
        -d "{\"tenant_id\":\"$id\",\"session_id\":\"$a\",\"message\":\"still here\"}")
      [[ "$(jq -r .tenant_id <<<"$body")" == "$id" ]] \
        || fail "session $a of $id does not chat after the restart: $body"
      checked=$((checked + 1))
    done <"$file"
  done
  echo "ok: $checked acknowledged tenants and sessions intact"
}

for round in 1 2 3; do
  start_admin_server
  verify
  writers=()
  for w in a b c d; do
    writer "r$round$w" &
    writers+=($!)
  done
  sleep "$time_scale.$((RANDOM % 9))"
  kill_server # in the middle of the stream
  for w in "${writers[@]}"; do kill "$w" 2>/dev/null || true; wait "$w" 2>/dev/null || true; done
  writers=()
  acked=$(cat "$work"/acked.r"$round"* 2>/dev/null | wc -l)
  ((acked > 20)) || fail "round $round: only $acked writes were acknowledged"
  echo "ok: round $round killed with -9 after $acked acknowledged writes"
done
start_admin_server
verify

# --- the admin token ------------------------------------------------------------------
mode=$(stat -c %a "$data/admin-token")
[[ "$mode" == 600 ]] || fail "admin-token has mode $mode, not 600"
mode=$(stat -c %a "$data/tenantd.db")
[[ "$mode" == 600 ]] || fail "tenantd.db has mode $mode, not 600"
if grep -qF -- "$token" "$log"; then fail "the admin token appears in the log"; fi
echo "ok: admin token and database files are 600 and the token is not logged"
kill -TERM "$pid"
wait "$pid" || fail "SIGTERM did not give exit status 0"
pid=""

# --- bad data directories ---------------------------------------------------------------
refuses() { # NAME DATA_DIR TEXT
  local status=0 err="$work/$1.stderr"
  timeout 10 "$bin" --host 127.0.0.1 --port 0 --tenants-file "$tenants" \
    --data-dir "$2" >/dev/null 2>"$err" </dev/null || status=$?
  ((status != 0 && status != 124)) || fail "$1: started (status $status)"
  grep -qF -- "$3" "$err" || fail "$1: stderr lacks '$3': $(cat "$err")"
  echo "ok: $1 refused: $(tail -n 1 "$err")"
}
mkdir "$work/corrupt"
head -c 65536 /dev/urandom >"$work/corrupt/tenantd.db"
before=$(sha256sum <"$work/corrupt/tenantd.db")
refuses "corrupt database" "$work/corrupt" "not a SQLite database or corrupt"
[[ "$(sha256sum <"$work/corrupt/tenantd.db")" == "$before" ]] \
  || fail "the corrupt database file was changed"
echo "ok: the corrupt file was left untouched"
mkdir "$work/busy"
"$bin" --host 127.0.0.1 --port 0 --tenants-file "$tenants" --data-dir "$work/busy" 2>"$work/busy.log" &
pid=$!
for _ in $(seq 500); do grep -q "listening on" "$work/busy.log" && break; sleep 0.02; done
refuses "data dir in use by a running server" "$work/busy" "data directory in use by another process"
kill -TERM "$pid"; wait "$pid" || true; pid=""
echo "not a directory" >"$work/plain-file"
refuses "data dir that is a file" "$work/plain-file" \
  "$work/plain-file: cannot create the data directory (a file of that name exists)"
refuses "data dir without a parent" "$work/no-parent/data" \
  "$work/no-parent/data: cannot create the data directory (No such file or directory)"
