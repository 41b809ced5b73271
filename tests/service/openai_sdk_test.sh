#!/usr/bin/env bash
# The official openai npm package against the real binary: installs the
# pinned package (npm ci, from tests/service/openai_sdk/package-lock.json)
# into a work copy, starts tenantd, and runs openai_sdk/sdk_test.js: a
# tenant's API key, plain and streamed completions, the models list and
# the SDK's error classes. Exits 77 (skipped) without node and npm.
#
# Usage: tests/service/openai_sdk_test.sh TENANTD_BINARY TENANTS_FILE
set -euo pipefail

bin="${1:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
tenants="${2:?usage: $0 TENANTD_BINARY TENANTS_FILE}"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "skipped: node and npm are not installed" >&2
  exit 77
fi

work="$(mktemp -d)"
# shellcheck source=tests/support/harness.sh
source "$here/../support/harness.sh"

cp "$here/openai_sdk/package.json" "$here/openai_sdk/package-lock.json" \
  "$here/openai_sdk/sdk_test.js" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error) \
  || fail "npm ci of the pinned openai package failed"

token="sdk-test-admin-token-0123456789"
start_server ADMIN_TOKEN="$token"
node "$work/sdk_test.js" "$url" "$token" || fail "the openai SDK test failed"
kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly"
pid=""
echo "ok: the openai npm package works against the service"
