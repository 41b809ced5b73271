#!/usr/bin/env bash
# tenantd beside the seed's own Python app on the same machine, in the same
# run: the FastAPI app.py and tenants.jsonl are extracted at run time from
# the seed's text (SEED_TXT, by default ../shared/seed/seed.txt beside the
# repository) into a temporary directory, never into the repository, and
# served by uvicorn (one worker, uvloop + httptools, no access log), the
# fastest way Debian 12's packages can run it.
#
# First both servers must give the same replies to the seed's cURL demo
# (a session and a chat in each tenant); then, for each of POST /chat and
# GET /: REPEATS rounds, each round one wrk run against the seed and one
# against tenantd, back to back (wrk -t1 -c64, on the same cores); prints
# every run, the medians and tenantd's requests per second as a multiple
# of the seed's.
#
#   bench/versus-seed.sh [BUILD_DIR]          (make versus-seed)
#   REPEATS=5 DURATION=10s CONNECTIONS=64 bench/versus-seed.sh build
#   PORT=18201 SEED_PORT=18202 bench/versus-seed.sh build
#   SEED_TXT=/path/to/seed.txt bench/versus-seed.sh build
#   PYTHON=/usr/bin/python3 bench/versus-seed.sh build   (the default)
#
# tenantd serves bench/tenants-bench.jsonl: the seed's three tenants with the
# same replies but rate limits too high to be hit (the seed's own limits,
# chat_per_10s 8/4/6, would turn a throughput run into 429s). The seed app
# reads its limits but never enforces them, so it serves its extracted
# tenants.jsonl unchanged. Installs python3-fastapi, python3-uvicorn,
# python3-uvloop and python3-httptools (Debian 12) when missing; no pip.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bin=$build/tenantd
duration=${DURATION:-10s}
repeats=${REPEATS:-5}
connections=${CONNECTIONS:-64}
tenantd_port=${PORT:-18201}
seed_port=${SEED_PORT:-18202}
seed_txt=${SEED_TXT:-$here/../../shared/seed/seed.txt}
# Debian's interpreter, the one its python3-* packages are for (a python3
# earlier on PATH, pyenv's say, would not see them).
python=${PYTHON:-/usr/bin/python3}
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

[ -x "$bin" ] || { echo "no tenantd binary at $bin" >&2; exit 1; }
[ -f "$seed_txt" ] || { echo "no seed text at $seed_txt (set SEED_TXT)" >&2; exit 1; }

"$here/../scripts/install-deps.sh" --bench >/dev/null

# The seed's runtime, from Debian's packages (PyPI is not reachable).
seed_packages=(python3-fastapi python3-uvicorn python3-uvloop python3-httptools)
missing=()
for p in "${seed_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "versus-seed: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "versus-seed: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update >&2
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

echo "machine: $(machine)"
versions=$("$python" -c 'import fastapi, uvicorn; print(fastapi.__version__, uvicorn.__version__)')
read -r fastapi_version uvicorn_version <<<"$versions"
echo "seed: fastapi $fastapi_version, uvicorn $uvicorn_version, $("$python" --version) ($python)," \
  "1 worker, uvloop + httptools; tenantd: $bin"

work=$(mktemp -d)
seed_pid=""
tenantd_pid=""
cleanup() {
  local pid
  for pid in $seed_pid $tenantd_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The seed's files, cut out of its text: app.py runs from its first import
# to the ")" closing `return ChatResp(` (the text goes on with "Run it");
# tenants.jsonl is the JSON lines under "4) backend/tenants.jsonl".
mkdir "$work/seed"
awk '/^from fastapi import FastAPI, HTTPException/ {on = 1}
  on {print}
  on && /^    return ChatResp\(/ {ret = 1}
  ret && /^    \)[[:space:]]*$/ {exit}' "$seed_txt" >"$work/seed/app.py"
awk '/^4\) backend\/tenants\.jsonl/ {on = 1; next}
  on && /^5\) / {exit}
  on && /^\{/ {print}' "$seed_txt" >"$work/seed/tenants.jsonl"
tail -n 1 "$work/seed/app.py" | grep -qx '    )' \
  || { echo "versus-seed: could not extract app.py from $seed_txt" >&2; exit 1; }
"$python" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$work/seed/app.py"
[ "$(jq -s length "$work/seed/tenants.jsonl")" = 3 ] \
  || { echo "versus-seed: could not extract tenants.jsonl from $seed_txt" >&2; exit 1; }
# The same three tenants on both sides (only the limits and tenantd's reply
# templates differ).
tenants_of() { jq -c '{id, name, welcome, model}' "$1"; }
if ! diff <(tenants_of "$work/seed/tenants.jsonl") <(tenants_of "$here/tenants-bench.jsonl") >&2; then
  echo "versus-seed: the seed's tenants differ from bench/tenants-bench.jsonl" >&2
  exit 1
fi

# The seed reads tenants.jsonl from its working directory at import time.
(cd "$work/seed" && exec "$python" -m uvicorn app:app --host 127.0.0.1 --port "$seed_port" \
  --loop uvloop --http httptools --no-access-log) >"$work/seed.log" 2>&1 &
seed_pid=$!
"$bin" --host 127.0.0.1 --port "$tenantd_port" --data-dir "$work/data" \
  --tenants-file "$here/tenants-bench.jsonl" >/dev/null 2>"$work/tenantd.log" &
tenantd_pid=$!
seed_url=http://127.0.0.1:$seed_port
url=http://127.0.0.1:$tenantd_port

wait_up() { # NAME URL LOG
  for _ in $(seq 400); do curl -sf "$2/" >/dev/null && return; sleep 0.05; done
  echo "versus-seed: $1 did not start" >&2
  cat "$3" >&2
  exit 1
}
wait_up seed "$seed_url" "$work/seed.log"
wait_up tenantd "$url" "$work/tenantd.log"

# The seed's cURL demo on both: the replies must be the same.
demo_reply() { # URL TENANT
  local sid
  sid=$(curl -sf -X POST "$1/session" -H 'Content-Type: application/json' \
    -d "{\"tenant_id\":\"$2\"}" | jq -r .session_id)
  curl -sf -X POST "$1/chat" -H 'Content-Type: application/json' \
    -d "$(jq -n --arg t "$2" --arg s "$sid" --arg m "hello from $2" \
      '{tenant_id:$t, session_id:$s, message:$m}')" | jq -r .reply
}
for t in acme globex initech; do
  seed_reply=$(demo_reply "$seed_url" "$t")
  tenantd_reply=$(demo_reply "$url" "$t")
  if [ -z "$seed_reply" ] || [ "$seed_reply" != "$tenantd_reply" ]; then
    echo "versus-seed: FAIL: the replies to \"hello from $t\" differ" >&2
    echo "  seed:    $seed_reply" >&2
    echo "  tenantd: $tenantd_reply" >&2
    exit 1
  fi
done

chat_script=$work/chat.lua
cat "$here/wrk/chat.lua" "$here/wrk/report.lua" >"$chat_script"

echo "wrk -t1 -c$connections -d$duration, $repeats rounds; the seed's demo replies are identical on both"

run_wrk() { # URL SCRIPT
  # Each server's sessions are its own (wrk/chat.lua reads them from the
  # environment).
  local line
  open_chat_sessions "$1"
  line=$(wrk -t1 -c"$connections" -d"$duration" -s "$2" "$1/" | grep '^RESULT')
  # Failed requests would make the comparison meaningless: say so.
  if ! grep -q ' non2xx=0 errors=0$' <<<"$line"; then
    echo "versus-seed: warning: $1: ${line#RESULT }" >&2
  fi
  echo "$line"
}

ratio() { # A B: A as a multiple of B
  awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1fx", a / b; else print "nan"}'
}

# compare NAME SCRIPT: REPEATS rounds of the seed, then tenantd.
compare() {
  local name=$1 script=$2 ours=() theirs=() line i
  for i in $(seq "$repeats"); do
    line=$(run_wrk "$seed_url" "$script")
    echo "$name seed    run $i: ${line#RESULT }"
    theirs+=("$line")
    line=$(run_wrk "$url" "$script")
    echo "$name tenantd run $i: ${line#RESULT }"
    ours+=("$line")
  done
  local s_rps s_p99 t_rps t_p99
  read -r s_rps _ s_p99 <<<"$(result_medians "${theirs[@]}")"
  read -r t_rps _ t_p99 <<<"$(result_medians "${ours[@]}")"
  echo "$name median: seed rps=$s_rps p99_ms=$s_p99; tenantd rps=$t_rps p99_ms=$t_p99; tenantd/seed=$(ratio "$t_rps" "$s_rps")"
}

compare "POST /chat" "$chat_script"
compare "GET /" "$here/wrk/report.lua"
