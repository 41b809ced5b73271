#!/usr/bin/env bash
# The command line and the logs of the real binary:
# - a flag wins over the environment, also over an invalid value there
#   (PORT=abc tenantd --port N starts);
# - --help and --version always work (an invalid environment, other flags);
# - --help shows each setting's values and default;
# - LOG_FORMAT=json writes one JSON object per line, each with time, level
#   and component, and the access log's fields; LOG_LEVEL=warning keeps
#   info lines out.
#
# Usage: tests/service/cli_test.sh TENANTD_BINARY TENANTS_FILE
set -euo pipefail

bin="${1:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
tenants="${2:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
work="$(mktemp -d)"
log_lines=30
# shellcheck source=tests/support/harness.sh
source "$(dirname "$0")/../support/harness.sh"

# --- --help and --version ------------------------------------------------------
for args in "--help" "--version" "--bogus --help" "--port x --version"; do
  # shellcheck disable=SC2086
  out=$(PORT=abc ADMIN_TOKEN=short "$bin" $args) || fail "'$args' with a bad environment exited $?"
  [[ -n "$out" ]] || fail "'$args' printed nothing"
done
version=$("$bin" --version)
[[ "$version" =~ ^tenantd\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed '$version'"
help=$("$bin" --help)
for want in "--port / PORT" "values: 0-65535; default: 8001" \
  "--log-format / LOG_FORMAT" "values: text|json; default: text" \
  "--internal-timeout-ms / INTERNAL_TIMEOUT_MS" "--version"; do
  grep -qF -- "$want" <<<"$help" || fail "--help lacks '$want'"
done
echo "ok: --help and --version work whatever the environment; help shows values and defaults"

# --- a flag wins over an invalid environment value ---------------------------------
if PORT=abc "$bin" --tenants-file "$tenants" --data-dir "$work/refused" 2>"$work/refused.log"; then
  fail "PORT=abc without --port started"
fi
grep -q "invalid value for PORT: 'abc'" "$work/refused.log" || fail "PORT=abc: $(cat "$work/refused.log")"
# An UPSTREAM_CA_FILE that cannot be read stops the start, naming the file.
if UPSTREAM_CA_FILE="$work/no-such-ca.pem" timeout 10 "$bin" --port 0 --host 127.0.0.1 \
     --tenants-file "$tenants" --data-dir "$work/no-ca" 2>"$work/no-ca.log"; then
  fail "an unreadable UPSTREAM_CA_FILE started"
fi
grep -q "no-such-ca.pem: cannot read CA certificates" "$work/no-ca.log" \
  || fail "UPSTREAM_CA_FILE: $(cat "$work/no-ca.log")"
start_server PORT=abc LOG_FORMAT=json LOG_REQUESTS=all ADMIN_TOKEN=cli-test-token-0123456789
curl -sf "$url/" >/dev/null || fail "GET / failed"
curl -s -o /dev/null -H 'X-Request-Id: cli-1' "$url/nope"
echo "ok: PORT=abc with --port starts"

# --- JSON lines ----------------------------------------------------------------------
kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly"
pid=""
lines=$(wc -l <"$log")
((lines >= 4)) || fail "only $lines log lines"
while IFS= read -r line; do
  jq -e 'type == "object" and (.time | test("^[0-9-]+T[0-9:.]+Z$"))
         and (.level | IN("debug", "info", "warning", "error"))
         and (.component | type == "string")' <<<"$line" >/dev/null \
    || fail "not a JSON log line: $line"
done <"$log"
jq -s -e 'any(.[]; .request_id == "cli-1" and .status == "404"
                   and .route == "unmatched")' "$log" >/dev/null \
  || fail "no access line for cli-1"
grep -q '"message":"listening on http://127.0.0.1:' "$log" || fail "no listening line"
echo "ok: LOG_FORMAT=json writes $lines JSON lines"

# --- LOG_LEVEL -----------------------------------------------------------------------
# Without info lines there is no "listening on" line to read the port from:
# take a free one below the ephemeral range, and take another if a parallel
# test binds it first (a connect probe cannot reserve a port).
serving=""
for p in $(shuf -i 20000-32000 -n 20); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
  : >"$log"
  LOG_LEVEL=warning LOG_REQUESTS=all ADMIN_TOKEN=cli-test-token-0123456789 \
    "$bin" --host 127.0.0.1 --port "$p" --tenants-file "$tenants" \
    --data-dir "$work/data" 2>"$log" &
  pid=$!
  for _ in $(seq 500); do
    kill -0 "$pid" 2>/dev/null || break
    if curl -sf "http://127.0.0.1:$p/" >/dev/null; then serving=$p; break; fi
    sleep 0.02
  done
  [[ -n "$serving" ]] && break
  kill -0 "$pid" 2>/dev/null && fail "LOG_LEVEL=warning: not serving on $p"
  wait "$pid" || true
  pid=""
  grep -q "Address already in use" "$log" || fail "LOG_LEVEL=warning: did not start"
done
[[ -n "$serving" ]] || fail "LOG_LEVEL=warning: no free port in 20 tries"
kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly"
pid=""
if grep -q ' INFO ' "$log"; then fail "LOG_LEVEL=warning wrote info lines: $(head -3 "$log")"; fi
echo "ok: LOG_LEVEL=warning writes no info lines"
