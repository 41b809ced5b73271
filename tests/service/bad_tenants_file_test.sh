#!/usr/bin/env bash
# tenantd must refuse to start on a bad tenants file: non-zero exit (well
# within 10 s: a server that starts serving instead is a failure), with a
# message on stderr naming the file, the line and the problem. A good file
# must start.
#
# Usage: tests/bad_tenants_file_test.sh TENANTD_BINARY
set -euo pipefail

bin="${1:?usage: $0 TENANTD_BINARY}"

work="$(mktemp -d)"
# shellcheck source=tests/support/harness.sh
source "$(dirname "$0")/../support/harness.sh"

# A failed check is counted and the next one runs; harness.sh's fail()
# (which stops the script) is for the server that must start.
failures=0
passes=0
miss() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

good='{"id":"acme","name":"Acme Corp","welcome":"Howdy from Acme!","model":"mock-1","limits":{"chat_per_10s":8}}'

# refuses NAME CONTENT EXPECTED_TEXT...
#   Writes CONTENT to NAME.jsonl, runs tenantd on it, and expects a non-zero
#   exit with every EXPECTED_TEXT (fixed strings) on stderr.
refuses() {
  local name="$1" content="$2"
  shift 2
  local file="$work/$name.jsonl"
  printf '%s' "$content" >"$file"
  refuses_path "$name" "$file" "$@"
}

refuses_path() {
  local name="$1" file="$2"
  shift 2
  local err="$work/$name.stderr" status=0
  timeout 10 "$bin" --tenants-file "$file" --port 0 --host 127.0.0.1 \
    --data-dir "$work/data-$name" \
    >/dev/null 2>"$err" </dev/null || status=$?
  if ((status == 0)); then
    miss "$name: exited 0"
    return
  fi
  if ((status == 124)); then
    miss "$name: still running after 10 s (it started instead of refusing)"
    return
  fi
  local text ok=1
  for text in "$file" "$@"; do
    if ! grep -qF -- "$text" "$err"; then
      miss "$name: stderr lacks '$text'; it was: $(cat "$err")"
      ok=0
    fi
  done
  if ((ok)); then
    passes=$((passes + 1))
    echo "ok: $name (exit $status): $(head -n 1 "$err")"
  fi
}

refuses invalid_json_line_2 "$good"$'\n''{"id":"globex",'$'\n' \
  ':2:' 'invalid JSON'
refuses missing_id "$good"$'\n''{"name":"Globex Inc.","welcome":"Hi."}'$'\n' \
  ':2:' 'id is required'
refuses missing_name "$good"$'\n''{"id":"globex","welcome":"Hi."}'$'\n' \
  ':2:' 'name is required'
refuses missing_welcome "$good"$'\n''{"id":"globex","name":"Globex Inc."}'$'\n' \
  ':2:' 'welcome is required'
refuses duplicate_id "$good"$'\n\n'"$good"$'\n' \
  ':3:' "duplicate id 'acme'" 'first on line 1'
refuses unknown_placeholder "$good"$'\n''{"id":"globex","name":"G","welcome":"W","reply":"{welcome} {nope}"}'$'\n' \
  ':2:' 'reply' '{nope}'
refuses unknown_filter "$good"$'\n''{"id":"globex","name":"G","welcome":"W","reply":"{message|shout}"}'$'\n' \
  ':2:' 'reply' 'shout'
refuses not_an_object '[1,2]'$'\n' \
  ':1:' 'must be a JSON object'
refuses unknown_field '{"id":"acme","name":"A","welcome":"W","welcom":"typo"}'$'\n' \
  ':1:' 'welcom' 'not a known field'
refuses zero_limit '{"id":"acme","name":"A","welcome":"W","limits":{"chat_per_10s":0}}'$'\n' \
  ':1:' 'limits.chat_per_10s'
refuses empty_file '' \
  'no tenants'
refuses whitespace_only $'  \n\t\n\n   \r\n' \
  'no tenants'
refuses_path nonexistent_path "$work/does-not-exist.jsonl" \
  'cannot open'

# --- a good file starts ---------------------------------------------------------------
printf '%s\n\n%s\n' "$good" \
  '{"id":"globex","name":"Globex Inc.","welcome":"Welcome from Globex."}' \
  >"$work/good.jsonl"
tenants="$work/good.jsonl"
start_server
root="$(curl -s --max-time 5 "$url/" || true)"
if [[ "$root" == '{"ok":true,"tenants":["acme","globex"]}' ]]; then
  passes=$((passes + 1))
  echo "ok: good file starts and serves $root"
else
  miss "good file: GET / answered '$root'"
fi
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""

echo "$passes passed, $failures failed"
((failures == 0))
