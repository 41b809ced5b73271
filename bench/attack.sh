#!/usr/bin/env bash
# Attack run: the attacks found against the service, one at a time, each
# beside a calm tenant under steady load, against the real binary. Shows
# that the fixes hold (a calm tenant unaffected, memory bounded, the
# service alive and ready) and measures the vectors not yet fixed.
#
#   bench/attack.sh [BUILD_DIR]                        (default build/)
#   TENANTD_BIN=/tmp/tenantd bench/attack.sh           another binary
#   PHASE=5 VECTORS="chunked sockets" bench/attack.sh  a short trial
#
# Per vector, a fresh server (127.0.0.1, a free port, its own data dir,
# bench/tenants-attack.jsonl, the vector's settings below plus SERVER_ENV):
#
#   0. for some vectors, before the server starts, the vector's
#      preparation of the data dir (stored sessions, say);
#   1. the vector's setup (tenants through the admin API, say);
#   2. unloaded: the calm tenant alone, wrk -t1 -c CONNECTIONS (16)
#      -d PHASE (20 s) of POST /chat in one session of tenant `calm` (the
#      bigtenant vector: POST /session of tenant `calm`, storage writes);
#   3. loaded: the attacker starts, LEAD (3) s later the same wrk runs
#      again; the attacker stops at its end; SETTLE (2) s of quiet;
#      2 and 3 alternate REPEATS (1) times, and the medians of the p99s are
#      compared (on a noisy machine, REPEATS=3 keeps one unlucky phase from
#      deciding);
#   4. the server's RSS (VmRSS, /proc/<pid>/status) just before the
#      attacker (first run), its peak (sampled every 100 ms until after the
#      last SETTLE) and after the last SETTLE; /healthz and /readyz must
#      then answer 200 within 10 s; the server is stopped (SIGTERM).
#
# Vectors (VECTORS, in this order by default; attackers are
# bench/attack_clients.py unless said otherwise, and bind to loopback
# addresses other than the calm wrk's 127.0.0.1, as attackers elsewhere
# would have addresses of their own):
#
#   chunked    CHUNKED (2) connections each of three chunked bodies that
#              never end: a chunk extension `2;aaaa...`, trailer fields, a
#              zero-padded chunk size; streamed as fast as the socket takes
#              them, reconnecting PAUSE_MS (100) after each close. Fixed:
#              every byte after the header counts against BODY_LIMIT, 413
#              and close. Expected: 413s.
#   amplify    A tenant whose reply repeats {message} AMPLIFY_REPEAT (400)
#              times, created through the admin API: expected 422
#              (MAX_REPLY_BYTES). Then the largest repeat that is accepted
#              (tried from 16 down) and AMPLIFY (4) connections pipelining
#              16 chats of 4,096-character messages to it, reading every
#              answer. The message repeats the code point AMPLIFY_CHAR (1:
#              U+0001, a control character, 6 bytes `\u0001` in JSON each
#              way, the costliest to answer; 97 for `a`). Fixed: the
#              tenant's answers are paced to TENANT_REPLY_BYTES_PER_S
#              (32 MiB/s). Expected: 422, then 200s, and the attacker reads
#              no more than that rate allows.
#   unread     UNREAD (10) connections to that same kind of tenant, each
#              pipelining 16 chats and more for as long as the kernel takes
#              them, never reading an answer. Fixed: a connection stops
#              reading while over MAX_UNSENT_BYTES_PER_CONNECTION (1 MiB)
#              unsent. Expected: reads paused (tenantd_http_reads_paused_total).
#   sessions   wrk -t1 -c SESSION_CONNECTIONS (4) opening sessions of tenant
#              `target` as fast as it can, the server with
#              MAX_SESSIONS_PER_TENANT=SESSION_CAP (20000). Expected: 429s
#              past the cap, no more than the cap created.
#   sockets    SOCKETS (1000) idle connections from 127.0.0.2, the server
#              with MAX_CONNECTIONS=SOCKETS_MAX_CONNECTIONS (1000); a
#              refused one reconnects after 1 s. Fixed:
#              MAX_CONNECTIONS_PER_ADDRESS (256) answers the rest 503.
#              Expected: at most 256 held (open a second or more), 503s.
#   metrics    METRICS_TENANTS (2000) tenants created and archived in the
#              setup, then SCRAPERS (4) connections GETting /metrics in a
#              loop.
#   slowloris  SLOWLORIS (300) connections over SLOWLORIS_ADDRESSES (10)
#              addresses (127.0.1.x, each under the per-address cap), a
#              request line and then one header byte every DRIP_MS (1000),
#              reconnecting at once when closed (HEADER_TIMEOUT_S, 10 s).
#   oversize   OVERSIZE (4) connections announcing Content-Length
#              BODY_BYTES (10 MiB) and streaming it, PAUSE_MS between.
#              Expected: 413s.
#   bigtenant  Tenant `big` with BIG_SESSIONS (1,000,000) sessions stored:
#              the server is started once (schema, tenants) and stopped,
#              the sessions written straight into its SQLite file in one
#              transaction (attack_clients.py seed), the server started
#              again. BIG_EXPIRING (500,000) of them, the oldest, expired
#              at a time such that the store's purge (60 s after the
#              expiry, looked for every SESSION_TTL/4 = 1 s) is due
#              halfway through the first loaded phase: the setup waits for
#              that, up to BIG_MARGIN (5 + 8 per million BIG_SESSIONS) s
#              after the seeding began. The server with TENANT_IDLE=BIG_IDLE
#              (2), SESSION_TTL=4 (`big` has limits.session_ttl 86400; the
#              calm tenant's sessions expire) and MAX_SESSIONS_PER_TENANT=
#              100000000; the calm wrk opens sessions of `calm`. The setup
#              activates `big` once (its first load). The attacker, from
#              127.0.0.5, makes `big` load all its sessions again and
#              again: a POST /session of `big`, a chat in one of its stored
#              sessions, BIG_IDLE + 1 s of silence (passivated), and again.
#              Fixed: sessions load 4,096 per store message and are deleted
#              1,024 per store turn, other tenants' writes in between.
#              Expected: every request of `big` answered 200 (the first
#              after a passivation too: none 504), 2 reloads or more, and
#              by the end none of the expiring sessions left in the
#              database (read with python3's sqlite3), none of the live
#              ones lost.
#
# Criteria, per vector: no calm request with a non-2xx answer or a socket
# error (unloaded or loaded); loaded p99 <= MAX_RATIO (3) x unloaded p99;
# RSS peak - before <= MAX_RSS_GROWTH_MIB (64); alive and ready after; the
# vector's expectation above. Each vector prints PASS or FAIL; the exit
# status is 1 if any vector in REQUIRED (all of them by default) fails, the
# others being measured only.
#
# Also printed per run: the server's CPU share in each phase and the
# attacker's in the loaded one (wrk runs the calm tenant as fast as it can,
# so the cores are always busy: what the attacker takes on a small machine
# slows the calm tenant whatever the server does); halfway through the loaded phase the server's
# descriptors, RSS, connections and unsent answer bytes; what the attacker
# met (connections, closes, answers by status); the server's connection
# and refusal counters.
#
# Hooks, per vector NAME (defined further down): vector_env NAME (its server
# settings), vector_calm NAME (what the calm wrk sends: chat or session),
# prepare_NAME (optional: runs before the server starts, the data dir
# "$work/data" empty; it may start and stop the server itself),
# setup_NAME, attack_NAME, expect_NAME.
#
# Environment: VECTORS, REQUIRED, REPEATS, PHASE, LEAD, SETTLE, CONNECTIONS,
# MAX_RATIO, MAX_RSS_GROWTH_MIB, the vectors' knobs above, TENANTD_BIN (the
# binary, default BUILD_DIR/tenantd), SERVER_ENV (server settings for every
# vector as VAR=value words, after the vector's own, e.g.
# "MAX_CONNECTIONS_PER_ADDRESS=0" to see the sockets vector without its
# fix; unknown variables are ignored by the server).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build}
vectors=${VECTORS:-"chunked amplify unread sessions sockets metrics slowloris oversize bigtenant"}
required=${REQUIRED:-"chunked amplify unread sessions sockets metrics slowloris oversize bigtenant"}
repeats=${REPEATS:-1}
phase=${PHASE:-20}
lead=${LEAD:-3}
settle=${SETTLE:-2}
connections=${CONNECTIONS:-16}
max_ratio=${MAX_RATIO:-3}
max_growth_mib=${MAX_RSS_GROWTH_MIB:-64}
chunked=${CHUNKED:-2}
pause_ms=${PAUSE_MS:-100}
amplify_repeat=${AMPLIFY_REPEAT:-400}
amplify=${AMPLIFY:-4}
amplify_char=${AMPLIFY_CHAR:-1}
unread=${UNREAD:-10}
session_connections=${SESSION_CONNECTIONS:-4}
session_cap=${SESSION_CAP:-20000}
sockets=${SOCKETS:-1000}
sockets_max_connections=${SOCKETS_MAX_CONNECTIONS:-1000}
metrics_tenants=${METRICS_TENANTS:-2000}
scrapers=${SCRAPERS:-4}
slowloris=${SLOWLORIS:-300}
slowloris_addresses=${SLOWLORIS_ADDRESSES:-10}
drip_ms=${DRIP_MS:-1000}
oversize=${OVERSIZE:-4}
body_bytes=${BODY_BYTES:-10485760}
big_sessions=${BIG_SESSIONS:-1000000}
big_expiring=${BIG_EXPIRING:-500000}
big_idle=${BIG_IDLE:-2}
big_margin=${BIG_MARGIN:-$((5 + 8 * big_sessions / 1000000))}
read -r -a server_env <<<"${SERVER_ENV:-}"

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bin=${TENANTD_BIN:-$build/tenantd}
tenants=$here/tenants-attack.jsonl
attackers=(python3 "$here/attack_clients.py")
[[ -x "$bin" ]] || { echo "no $bin: build first (make build) or set TENANTD_BIN" >&2; exit 1; }
for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null || { echo "no $tool: scripts/install-deps.sh --bench" >&2; exit 1; }
done
for v in $vectors; do
  case $v in
    chunked | amplify | unread | sessions | sockets | metrics | slowloris | oversize | bigtenant) ;;
    *) echo "unknown vector '$v'" >&2; exit 2 ;;
  esac
done
((lead >= 2)) || { echo "LEAD must be at least 2 s" >&2; exit 1; }
((big_expiring <= big_sessions)) || { echo "BIG_EXPIRING must be at most BIG_SESSIONS" >&2; exit 1; }
raise_fd_limit
need=$((sockets + slowloris + connections + 200))
(($(ulimit -n) >= need)) \
  || { echo "open-file limit $(ulimit -n) < $need needed: raise the hard limit" >&2; exit 1; }

work=$(mktemp -d)
attacker_pid="" sampler_pid=""
on_exit() {
  local p
  for p in "$attacker_pid" "$sampler_pid"; do
    [[ -z "$p" ]] || kill "$p" 2>/dev/null || true
  done
}
# shellcheck source=tests/support/harness.sh
source "$root/tests/support/harness.sh"
token=attack-bench-admin-token-$RANDOM$RANDOM
cat "$here/wrk/tenant_chat.lua" "$here/wrk/report.lua" >"$work/calm.lua"
cat "$here/wrk/tenant_session.lua" "$here/wrk/report.lua" >"$work/sessions.lua"

# --- helpers -------------------------------------------------------------

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# Writes the largest VmRSS seen (KiB) to $1 every 100 ms until killed; bash
# builtins only, so that sampling costs no process per sample.
sample_peak() {
  local out=$1 peak=0 key value _
  while kill -0 "$pid" 2>/dev/null; do
    { while read -r key value _; do
      if [[ $key == VmRSS: ]]; then
        ((value > peak)) && peak=$value && echo "$peak" >"$out"
        break
      fi
    done <"/proc/$pid/status"; } 2>/dev/null || true
    sleep 0.1
  done
}

# CPU seconds the server has used (user + system); its share of one core
# over a phase, in %, from two of them.
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$pid/stat"; }
cpu_share() { awk -v a="$1" -v b="$2" -v p="$phase" 'BEGIN {printf "%.0f", (b - a) * 100 / p}'; }
# CPU seconds the attacker has used: its process and their children (the
# sessions vector's wrk runs under a subshell).
attacker_cpu_s() {
  local p kids=() t=0
  read -r -a kids <<<"$(cat "/proc/$attacker_pid/task/"*/children 2>/dev/null || true)"
  for p in "$attacker_pid" "${kids[@]}"; do
    t=$(awk -v t="$t" -v hz="$(getconf CLK_TCK)" '{printf "%.2f", t + ($14 + $15) / hz}' "/proc/$p/stat" 2>/dev/null || echo "$t")
  done
  echo "$t"
}

# The value of one series in the server's /metrics ("0" if absent); the
# series is matched from the line's start, labels included.
metric() {
  curl -s --max-time 10 "$url/metrics" | awk -v s="$1" 'index($0, s " ") == 1 {v = $2} END {print v + 0}'
}

admin() { # METHOD PATH BODY: prints the status, the body in $work/admin.out
  curl -s -o "$work/admin.out" -w '%{http_code}' -X "$1" "$url$2" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$3"
}

new_session() { # TENANT
  curl -sf -X POST "$url/session" -H 'Content-Type: application/json' \
    -d "{\"tenant_id\":\"$1\"}" | jq -r .session_id
}

calm() {
  TENANT=calm SESSION=$calm_session \
    wrk -t1 -c"$connections" -d"${phase}s" --latency -s "$calm_lua" "$url/" \
    | grep '^RESULT' || echo "RESULT rps=0 p50_ms=0 p99_ms=0 non2xx=0 errors=1"
}

# Ready means /healthz and /readyz both answer 200, within 10 s.
alive_and_ready() {
  local _
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/healthz") == 200 \
      && $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/readyz") == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Stops the server (SIGTERM, then SIGKILL after 15 s); sets `stopped` to how
# it ended. Not in a subshell: the server is this shell's child.
stop_server() {
  local _
  stopped="already gone"
  kill -TERM "$pid" 2>/dev/null || { pid=""; return 0; }
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    stopped="killed after 15 s"
  else
    local rc=0
    wait "$pid" 2>/dev/null || rc=$?
    stopped="exit $rc"
  fi
  pid=""
}

# The value of KEY in the attacker's ATTACK line of KIND (0 if absent).
attack_value() { # KIND KEY
  awk -v k="kind=$1" -v key="$2" '$2 == k {
    for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) v = kv[2] }
  } END {print v + 0}' "$work/attack.out"
}

# One line per kind of attacker, from its ATTACK key=value line.
describe_attackers() {
  awk -v lead="$lead" '$1 == "ATTACK" && $2 == "kind=sessions" {
    $1 = ""; $2 = ""; sub(/^ +/, ""); print "  attacker sessions (wrk): " $0; next
  }
  $1 == "ATTACK" && $2 == "kind=reload" {
    delete v; answers = ""
    for (i = 2; i <= NF; i++) {
      split($i, kv, "="); v[kv[1]] = kv[2]
      if (kv[1] ~ /^(session|chat)_[0-9]+$/) answers = answers " " kv[1] " x" kv[2] ","
    }
    if (answers == "") answers = " none,"
    printf "  attacker reload: %d rounds, %d reloads (first answer after a passivation %.3f s p50, %.3f s max; POST /session %.3f s max, chat %.3f s max); answers:%s %d without one;",
      v["rounds"], v["reloads"], v["reload_s_p50"], v["reload_s_max"], v["session_s_max"],
      v["chat_s_max"], answers, v["errors"]
    printf " expiring sessions stored: %d at the start, %d at the end", v["expiring_first"], v["expiring_last"]
    if (v["purge_seen_s"] >= 0) printf ", fewer at %+.1f s", v["purge_seen_s"] - lead
    if (v["purged_by_s"] >= 0) printf ", none at %+.1f s", v["purged_by_s"] - lead
    if (v["purge_seen_s"] >= 0) printf " of the loaded phase"
    printf "\n"; next
  }
  $1 == "ATTACK" {
    delete v; answers = ""
    for (i = 2; i <= NF; i++) {
      split($i, kv, "="); v[kv[1]] = kv[2]
      if (kv[1] ~ /^status_/) answers = answers " " substr(kv[1], 8) " x" kv[2] ","
    }
    if (answers == "") answers = " none,"
    printf "  attacker %s: %d clients, %d connections (%d failed to connect), %d closed by the server",
      v["kind"], v["clients"], v["connections"], v["connect_errors"], v["closed_by_server"]
    if (v["closed_by_server"] > 0)
      printf " after %.3f s p50, %.3f s max", v["closed_after_s_p50"], v["closed_after_s_max"]
    printf ", %d open at the end (%d held a second or more; %d open at most); answers:%s %d closes without one;",
      v["open_at_end"], v["held_at_end"], v["open_max"], answers, v["no_answer"]
    printf " written %.1f KiB p50, %.1f KiB max per connection", v["written_kib_p50"], v["written_kib_max"]
    if (v["answers"] > 0) printf "; %d answers, %.1f MiB read", v["answers"], v["answer_mib"]
    if (v["requests_written"] > 0) printf "; %d requests written", v["requests_written"]
    printf "\n"
  }' "$work/attack.out"
}

# The server's connection and refusal counters, one line.
describe_server() {
  curl -s --max-time 10 "$url/metrics" | awk '
    /^tenantd_http_connections_accepted_total / {a = $2}
    /^tenantd_http_connections_refused_total / {r = $2}
    /^tenantd_http_connections_refused_per_address_total / {ra = $2}
    /^tenantd_http_connections_timed_out_total / {t = $2}
    /^tenantd_http_reads_paused_total / {p = $2}
    /^tenantd_http_requests_refused_total\{code="400"\}/ {c400 = $2}
    /^tenantd_http_requests_refused_total\{code="413"\}/ {c413 = $2}
    /^tenantd_http_requests_refused_total\{code="431"\}/ {c431 = $2}
    END {printf "  server: %d connections accepted, %d refused at MAX_CONNECTIONS, %d per address, %d timed out; refused before routing: %d x 400, %d x 413, %d x 431; reads paused %d times\n",
      a, r, ra, t, c400, c413, c431, p}'
}

# --- vectors: settings, setup, attacker, expectation -----------------------
# vector_env NAME: the server settings of the vector.
# vector_calm NAME: what the calm wrk sends, `chat` (POST /chat in one
# session, the default) or `session` (POST /session: storage writes).
# prepare_NAME (optional): runs before the server starts, the data dir
# "$work/data" empty; may start_server (with the vector's settings,
# "${venv[@]}") and stop_server to have the service create its database,
# and set variables.
# setup_NAME: runs before the unloaded phase (may set variables).
# attack_NAME DURATION: the attacker, in the foreground (run in background
# by the caller), output in $work/attack.out.
# expect_NAME: prints problems with what the attack should have met, one
# a line (none: as expected).

vector_env() {
  case $1 in
    sessions) echo "MAX_SESSIONS_PER_TENANT=$session_cap" ;;
    sockets) echo "MAX_CONNECTIONS=$sockets_max_connections" ;;
    bigtenant) echo "TENANT_IDLE=$big_idle SESSION_TTL=4 MAX_SESSIONS_PER_TENANT=100000000" ;;
    *) echo "" ;;
  esac
}

vector_calm() {
  case $1 in
    bigtenant) echo session ;;
    *) echo chat ;;
  esac
}

setup_chunked() { :; }
attack_chunked() {
  exec "${attackers[@]}" --target "127.0.0.1:$port" --source 127.0.0.2 --duration "$1" \
    --kind chunk-ext --kind chunk-trailer --kind chunk-zeros --clients "$chunked" \
    --pause-ms "$pause_ms"
}
expect_chunked() {
  local k
  for k in chunk-ext chunk-trailer chunk-zeros; do
    (($(attack_value "$k" status_413) > 0)) || echo "$k: no 413"
  done
}

# The amplifying tenant: the amplifying config must be refused; then the
# largest number of {message} that is accepted, and a session.
setup_amplifier() {
  local n code body
  body=$(jq -nc --arg r "$(printf '{message}%.0s' $(seq "$amplify_repeat"))" \
    '{id: "amplifier", name: "Amplifier", welcome: "", reply: $r}')
  amplify_refused=$(admin POST /tenants "$body")
  echo "  setup: reply {message} x$amplify_repeat: $amplify_refused $(jq -r '.detail[0].msg? // .detail? // ""' "$work/admin.out" 2>/dev/null | head -c 160)"
  amplify_accepted=0
  for n in $(seq 16 -1 1); do
    body=$(jq -nc --arg r "$(printf '{message}%.0s' $(seq "$n"))" \
      '{id: "amplifier", name: "Amplifier", welcome: "", reply: $r}')
    code=$(admin POST /tenants "$body")
    if [[ $code == 201 ]]; then amplify_accepted=$n; break; fi
  done
  ((amplify_accepted > 0)) || { echo "  setup: no amplifying config accepted"; return 0; }
  amplifier_session=$(new_session amplifier)
  # One chat of the attack's own, for the sizes of its request and answer.
  python3 - "$port" "$amplifier_session" "$amplify_char" >"$work/sizes" <<'EOF'
import http.client, json, sys
body = json.dumps({"tenant_id": "amplifier", "session_id": sys.argv[2],
                   "message": chr(int(sys.argv[3])) * 4096}, ensure_ascii=False).encode()
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("POST", "/chat", body=body, headers={"Content-Type": "application/json"})
r = c.getresponse()
print(r.status, len(body), len(r.read()))
EOF
  read -r code req_bytes answer_bytes <"$work/sizes"
  echo "  setup: largest accepted: reply {message} x$amplify_accepted (201); a chat of 4,096 U+$(printf '%04X' "$amplify_char") characters: $(thousands "$req_bytes")-byte body, answer $code of $(thousands "$answer_bytes") bytes"
}
setup_amplify() { setup_amplifier; }
attack_amplify() {
  exec "${attackers[@]}" --target "127.0.0.1:$port" --source 127.0.0.2 --duration "$1" \
    --kind amplify --clients "$amplify" --depth 16 --tenant amplifier \
    --session "${amplifier_session:-none}" --char "$amplify_char"
}
expect_amplify() {
  [[ $amplify_refused == 422 ]] || echo "the amplifying config got $amplify_refused, not 422"
  ((amplify_accepted > 0)) || echo "no amplifying config accepted"
  (($(attack_value amplify status_200) > 0)) || echo "no chat of the amplifier answered 200"
  # Paced to TENANT_REPLY_BYTES_PER_S (32 MiB/s): at most that for each
  # second of the attack, plus a second's burst, plus a quarter for the
  # answers' envelopes (the last run's attack).
  local read_mib most=$(((32 * (lead + phase + 1) + 32) * 5 / 4))
  read_mib=$(attack_value amplify answer_mib)
  awk -v r="$read_mib" -v m="$most" 'BEGIN { exit !(r <= m) }' \
    || echo "the amplifier read $read_mib MiB of answers, more than $most MiB: not paced"
}

setup_unread() { setup_amplifier; }
attack_unread() {
  exec "${attackers[@]}" --target "127.0.0.1:$port" --source 127.0.0.2 --duration "$1" \
    --kind unread --clients "$unread" --depth 16 --tenant amplifier \
    --session "${amplifier_session:-none}" --char "$amplify_char"
}
expect_unread() {
  (($(metric tenantd_http_reads_paused_total) > 0)) || echo "no connection stopped reading"
}

setup_sessions() { :; }
attack_sessions() {
  TENANT=target wrk -t1 -c"$session_connections" -d"${1}s" -s "$work/sessions.lua" "$url/" \
    | grep '^RESULT' | sed 's/^RESULT/ATTACK kind=sessions/'
}
expect_sessions() {
  local ok refused
  ok=$(metric 'tenantd_http_requests_total{code="200",method="POST",route="/session",tenant="target"}')
  refused=$(metric 'tenantd_http_requests_total{code="429",method="POST",route="/session",tenant="target"}')
  echo "$ok $refused" >"$work/sessions.counts"
  ((refused > 0)) || echo "no 429 at the session cap"
  ((ok <= session_cap)) || echo "$ok sessions created, more than the cap $session_cap"
}

setup_sockets() { :; }
attack_sockets() {
  exec "${attackers[@]}" --target "127.0.0.1:$port" --source 127.0.0.2 --duration "$1" \
    --kind idle --clients "$sockets" --ramp-ms $(((lead - 1) * 1000)) --pause-ms 1000
}
expect_sockets() {
  local held cap
  held=$(attack_value idle held_at_end)
  cap=$(sed -n 's/^MAX_CONNECTIONS_PER_ADDRESS=//p' <<<"$(printf '%s\n' "${server_env[@]}")" | tail -n 1)
  cap=${cap:-256}
  ((cap == 0 || held <= cap)) || echo "the attacker held $held connections, more than $cap"
  ((cap == 0)) || (($(attack_value idle status_503) > 0)) || echo "no 503 past the per-address cap"
}

setup_metrics() {
  local line
  line=$("${attackers[@]}" tenants --target "127.0.0.1:$port" --token "$token" \
    --count "$metrics_tenants" --archive)
  echo "  setup: ${line#TENANTS }; one scrape: $(thousands "$(curl -s "$url/metrics" | wc -c)") bytes"
}
attack_metrics() {
  exec "${attackers[@]}" --target "127.0.0.1:$port" --source 127.0.0.3 --duration "$1" \
    --kind scrape --clients "$scrapers"
}
expect_metrics() {
  (($(attack_value scrape status_200) > 0)) || echo "no scrape answered 200"
}

setup_slowloris() { :; }
attack_slowloris() {
  local sources i
  sources=$(for i in $(seq "$slowloris_addresses"); do printf '127.0.1.%d,' "$i"; done)
  exec "${attackers[@]}" --target "127.0.0.1:$port" --source "${sources%,}" --duration "$1" \
    --kind slowloris --clients "$slowloris" --drip-ms "$drip_ms" --pause-ms 0 \
    --ramp-ms $(((lead - 1) * 1000))
}
expect_slowloris() { :; }

setup_oversize() { :; }
attack_oversize() {
  exec "${attackers[@]}" --target "127.0.0.1:$port" --source 127.0.0.4 --duration "$1" \
    --kind oversize --clients "$oversize" --body-bytes "$body_bytes" --pause-ms "$pause_ms"
}
expect_oversize() {
  (($(attack_value oversize status_413) > 0)) || echo "no 413"
}

# Tenant `big` with big_sessions stored sessions, big_expiring of them
# purged by the store halfway through the first loaded phase (the purge
# deletes sessions whose expiry passed 60 s ago, looking every
# SESSION_TTL/4 = 1 s here). The expiry is fixed before the seeding:
# big_margin s for the seeding, the start and the setup, which then waits
# out what is left of it, so that the phases begin on time.
big_db() { echo "$work/data/tenantd.db"; }
prepare_bigtenant() {
  local line
  start_server ADMIN_TOKEN="$token" "${venv[@]}" "${server_env[@]}"
  stop_server
  [[ -f "$(big_db)" ]] || fail "no $(big_db) after a start"
  big_unloaded_at=$(($(date +%s%3N) + big_margin * 1000))
  big_purge_at=$((big_unloaded_at + (phase + lead + phase / 2) * 1000))
  big_expires_at=$((big_purge_at - 60000 - 500))
  line=$("${attackers[@]}" seed --db "$(big_db)" --tenant big --count "$big_sessions" \
    --expiring "$big_expiring" --expires-at "$big_expires_at" --ttl 86400 \
    --ids-out "$work/big.ids") || fail "seeding the sessions of big failed"
  echo "  prepare: ${line#SEED }; $(du -m "$(big_db)" | cut -f1) MiB of $(basename "$(big_db)")"
}
setup_bigtenant() {
  local code seconds wait_ms
  read -r code seconds < <(curl -s -o "$work/big.first" -w '%{http_code} %{time_total}\n' \
    --max-time 60 -X POST "$url/session" -H 'Content-Type: application/json' \
    -d '{"tenant_id":"big"}' || echo "000 0")
  big_first=$code
  echo "  setup: first activation of big (POST /session): $code in $seconds s; GET /tenants/big: $(admin GET /tenants/big '') $(jq -c .stats "$work/admin.out" 2>/dev/null)"
  wait_ms=$((big_unloaded_at - $(date +%s%3N)))
  if ((wait_ms > 0)); then
    echo "  setup: waiting $(awk -v m="$wait_ms" 'BEGIN {printf "%.1f", m / 1000}') s, so that the purge is due halfway through the loaded phase"
    sleep "$(awk -v m="$wait_ms" 'BEGIN {printf "%.3f", m / 1000}')"
  else
    echo "  setup: $(awk -v m="$wait_ms" 'BEGIN {printf "%.1f", -m / 1000}') s late (raise BIG_MARGIN): the purge is due that much before halfway"
  fi
  big_late_ms=$((wait_ms < 0 ? -wait_ms : 0))
}
attack_bigtenant() {
  exec "${attackers[@]}" reload --target "127.0.0.1:$port" --source 127.0.0.5 --duration "$1" \
    --tenant big --ids-out "$work/big.ids" --idle-s $((big_idle + 1)) \
    --db "$(big_db)" --expires-at "$big_expires_at"
}
expect_bigtenant() {
  local bad expiring live
  [[ $big_first == 200 ]] || echo "the first activation of big got $big_first, not 200"
  (($(attack_value reload reloads) >= 2)) || echo "big reloaded $(attack_value reload reloads) times, fewer than 2"
  (($(attack_value reload session_200) > 0)) || echo "no POST /session of big answered 200"
  [[ ! -s "$work/big.ids" ]] || (($(attack_value reload chat_200) > 0)) \
    || echo "no chat in a stored session of big answered 200"
  bad=$(awk '$2 == "kind=reload" {
    for (i = 3; i <= NF; i++) {
      split($i, kv, "=")
      if ((kv[1] ~ /^(session|chat)_[0-9]+$/ && kv[1] !~ /_200$/) || kv[1] == "errors") n += kv[2]
    }
  } END {print n + 0}' "$work/attack.out")
  ((bad == 0)) || echo "$bad requests of big not answered 200"
  # Halfway through the loaded phase, give or take a quarter of it.
  ((big_late_ms <= phase * 250)) \
    || echo "the purge was due $((big_late_ms / 1000)) s before halfway through the loaded phase (raise BIG_MARGIN)"
  read -r expiring live < <(python3 - "$(big_db)" "$big_expires_at" <<'EOF' || echo "? ?"
import sqlite3, sys, time
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
q = "SELECT count(*) FROM sessions WHERE tenant = 'big' AND expires_at %s ?"
print(db.execute(q % "<=", (int(sys.argv[2]),)).fetchone()[0],
      db.execute(q % ">", (int(time.time() * 1000),)).fetchone()[0])
EOF
  )
  echo "${expiring:-?} ${live:-?}" >"$work/bigtenant.counts"
  [[ $expiring == 0 ]] || echo "${expiring:-?} of the expiring sessions of big still stored"
  [[ $live =~ ^[0-9]+$ ]] && ((live >= big_sessions - big_expiring)) \
    || echo "${live:-?} live sessions of big stored, fewer than the $((big_sessions - big_expiring)) written"
}

# --- the run ---------------------------------------------------------------

echo "machine: $(machine); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: $bin ${SERVER_ENV:-}"
echo "calm: tenant calm, wrk -t1 -c$connections -d${phase}s POST /chat (bigtenant: POST /session), unloaded then loaded (attacker from LEAD $lead s before to the end)"
echo "criteria: calm errors 0, loaded p99 <= $max_ratio x unloaded, RSS peak - before <= $max_growth_mib MiB, alive and ready"
echo

# One loaded run: the attacker from LEAD s before the calm wrk to its end;
# sets `loaded`, `attack_rc`, and prints the run's lines.
loaded_run() { # VECTOR RUN
  local cpu0 cpu1 a0 a1 mid_fds="" mid_rss="" mid_conns="" mid_unsent=""
  : >"$work/attack.out"
  : >"$work/mid"
  "attack_$1" $((lead + phase + 1)) >"$work/attack.out" 2>"$work/attack.err" &
  attacker_pid=$!
  sleep "$lead"
  # Halfway through the loaded phase: descriptors, RSS, open connections
  # and unsent answer bytes as the server counts them.
  (sleep $(((phase + 1) / 2))
    fds=("/proc/$pid/fd/"*)
    echo "${#fds[@]} $(mib "$(rss_kib)") $(metric tenantd_http_connections) $(metric tenantd_http_unsent_bytes)") \
    >"$work/mid" 2>/dev/null &
  cpu0=$(cpu_s) a0=$(attacker_cpu_s)
  loaded=$(calm)
  cpu1=$(cpu_s) a1=$(attacker_cpu_s)
  echo "  run $2 calm loaded:   ${loaded#RESULT } (server CPU $(cpu_share "$cpu0" "$cpu1") %, attacker $(cpu_share "$a0" "$a1") % of a core)"
  read -r mid_fds mid_rss mid_conns mid_unsent <"$work/mid" || true
  echo "  run $2 server mid-run: ${mid_fds:-?} fds, RSS ${mid_rss:-?} MiB, ${mid_conns:-?} connections, $(thousands "${mid_unsent:-?}") bytes of answers unsent"
  attack_rc=0
  wait "$attacker_pid" || attack_rc=$?
  attacker_pid=""
  describe_attackers
  if [[ -s "$work/attack.err" ]]; then sed 's/^/  attacker stderr: /' "$work/attack.err" | head -n 5; fi
}

summary=() required_failed=()
for v in $vectors; do
  echo "=== $v ==="
  read -r -a venv <<<"$(vector_env "$v")"
  case $(vector_calm "$v") in
    session) calm_lua=$work/sessions.lua ;;
    *) calm_lua=$work/calm.lua ;;
  esac
  rm -rf "$work/data"
  if declare -F "prepare_$v" >/dev/null; then "prepare_$v"; fi
  start_server ADMIN_TOKEN="$token" "${venv[@]}" "${server_env[@]}"
  echo "  server: pid $pid, $url ${venv[*]} ${server_env[*]}"
  calm_session=$(new_session calm)
  fresh=$(rss_kib)
  amplify_refused="" amplify_accepted=0 amplifier_session="" big_first="" big_late_ms=0
  "setup_$v"

  problems=() unloaded_runs=() loaded_runs=() errors=0
  for i in $(seq "$repeats"); do
    cpu0=$(cpu_s)
    unloaded=$(calm)
    cpu1=$(cpu_s)
    echo "  run $i calm unloaded: ${unloaded#RESULT } (server CPU $(cpu_share "$cpu0" "$cpu1") % of a core)"
    if ((i == 1)); then
      before=$(rss_kib)
      echo "$before" >"$work/peak"
      sample_peak "$work/peak" &
      sampler_pid=$!
    fi
    loaded_run "$v" "$i"
    ((attack_rc == 0)) || problems+=("run $i: the attacker exited $attack_rc")
    unloaded_runs+=("$unloaded") loaded_runs+=("$loaded")
    for line in "$unloaded" "$loaded"; do
      errors=$((errors + $(value_of non2xx <<<"$line") + $(value_of errors <<<"$line")))
    done
    sleep "$settle"
  done
  after=$(rss_kib)
  ready=yes
  alive_and_ready || ready=no
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  peak=$(cat "$work/peak")
  ((after > peak)) && peak=$after

  if [[ $ready == yes ]]; then
    describe_server
    while IFS= read -r p; do [[ -z "$p" ]] || problems+=("$p"); done < <("expect_$v")
    if [[ $v == sessions ]]; then
      read -r s_ok s_refused <"$work/sessions.counts"
      echo "  sessions of target: $(thousands "$s_ok") created (200), $(thousands "$s_refused") refused (429); cap $session_cap"
    fi
    if [[ $v == bigtenant ]]; then
      read -r b_expiring b_live <"$work/bigtenant.counts"
      echo "  sessions of big stored after the run: $(thousands "$b_expiring") of the $(thousands "$big_expiring") expiring, $(thousands "$b_live") live ($(thousands $((big_sessions - big_expiring))) written)"
    fi
  else
    problems+=("not alive and ready after the attack")
  fi

  read -r _ _ u_p99 < <(result_medians "${unloaded_runs[@]}")
  read -r _ _ l_p99 < <(result_medians "${loaded_runs[@]}")
  ratio=$(awk -v l="$l_p99" -v u="$u_p99" 'BEGIN {printf "%.2f", (u > 0 ? l / u : 0)}')
  growth=$((peak - before))
  ((errors == 0)) || problems+=("$errors calm requests failed (non-2xx or socket errors)")
  awk -v r="$ratio" -v m="$max_ratio" 'BEGIN {exit !(r <= m)}' \
    || problems+=("calm p99 $l_p99 ms is ${ratio} x the unloaded $u_p99 ms (limit $max_ratio x)")
  ((growth <= max_growth_mib * 1024)) \
    || problems+=("RSS grew by $(mib "$growth") MiB (limit $max_growth_mib)")
  warnings=$(grep -cE ' (WARN|ERROR) ' "$log" || true)
  echo "  RSS: fresh $(mib "$fresh"), before $(mib "$before"), peak $(mib "$peak"), after $(mib "$after") MiB; alive and ready: $ready; server log: $warnings WARN/ERROR lines"
  grep -E ' (WARN|ERROR) ' "$log" | head -n 3 | sed 's/^/  log: /' || true

  verdict=PASS
  ((${#problems[@]} == 0)) || verdict=FAIL
  kind="measured"
  [[ " $required " == *" $v "* ]] && kind="required"
  for p in "${problems[@]}"; do echo "  problem: $p"; done
  stop_server
  echo "  stop: $stopped"
  echo "  $v: $verdict ($kind)"
  echo
  summary+=("$(printf '%-10s %-8s %9s %9s %6s %6s %8s %8s %8s %6s %s' "$v" "$kind" "$u_p99" "$l_p99" \
    "$ratio" "$errors" "$(mib "$before")" "$(mib "$peak")" "$(mib "$after")" "$ready" "$verdict")")
  [[ $verdict == PASS || $kind != required ]] || required_failed+=("$v")
done

echo "=== attack summary ==="
printf '%-10s %-8s %9s %9s %6s %6s %8s %8s %8s %6s %s\n' vector "" "p99 ms" "loaded" ratio errors \
  "RSS MiB" peak after ready verdict
printf '%s\n' "${summary[@]}"
if ((${#required_failed[@]})); then
  echo "FAIL: required vectors failed: ${required_failed[*]}"
  exit 1
fi
echo "PASS: every required vector held"
