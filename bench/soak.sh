#!/usr/bin/env bash
# Soak: DURATION seconds (600) of mixed traffic across four tenants against
# the real binary, the server's RSS sampled every second and plotted.
#
#   bench/soak.sh [BUILD_DIR]                     (default build/)
#   DURATION=30 LABEL=trial bench/soak.sh build   a short trial
#
# Traffic: wrk -t THREADS (2) -c CONNECTIONS (64) with bench/wrk/soak.lua:
# sessions opened on every tenant, chats in them, bursts on the tenant
# "limited" (chat_per_10s 50, so most of a burst gets 429), and bad requests
# (malformed JSON, wrong types, unknown tenant, unknown session, a session
# of another tenant, a body over the 64 KiB limit); the script's header
# gives the mix. Tenants: bench/tenants-soak.jsonl.
#
# Sessions: the server runs with SESSION_TTL (30 s). Each wrk thread chats
# in a bounded pool of sessions per tenant, and every new session replaces
# the oldest one in its pool, which then goes unused and expires 30 s later
# (tenant actor, the store's index and its row). So the live sessions stay
# bounded (about the session rate x 30 s) while new ones keep being created
# and purged, the steady state a day-long TTL would reach only after a day.
#
# While wrk runs, /proc/<pid>/status VmRSS, the data dir's size and the
# open descriptors are sampled once a second into CSV (elapsed_s, rss_kib,
# data_kib, fds), plotted with gnuplot into PNG (installed through
# scripts/install-deps.sh --bench if missing). Then the server gets SIGTERM
# and must exit 0.
#
# "RSS flat after warm-up": the median RSS of the window [WARMUP, WARMUP +
# WINDOW) is compared with the median of the last WINDOW seconds (WARMUP
# 120 s, WINDOW 60 s; both scaled down for short runs). Sessions reach their
# steady count about SESSION_TTL plus a sweep (~40 s) after the start, so
# 120 s is past warm-up. The run fails if RSS grew by more than
# RSS_GROWTH_PCT (10) % of the first median or RSS_GROWTH_MIN_KIB (4096),
# whichever is larger: RSS is about 30-40 MiB here and moves by a few MiB
# with the allocator's page reuse and hash-table growth, while a leak of
# even one byte per request over the ~8 minutes between the windows (~10
# million requests) is ~10 MiB. The output names the smallest per-request
# leak the limit would catch.
#
# The run FAILS (exit 1) on any 5xx, any socket error of wrk (connect, read,
# write, or a request without an answer in WRK_TIMEOUT, 5 s: the server
# answers 504 itself after ASK_TIMEOUT_MS, 2 s), any unexpected answer, RSS
# growth over the limit, or a graceful stop that does not exit 0.
#
# Environment: DURATION (s), THREADS, CONNECTIONS, SESSION_TTL, POOL,
# OVERSIZE_BYTES, WARMUP, WINDOW, RSS_GROWTH_PCT, RSS_GROWTH_MIN_KIB,
# WRK_TIMEOUT, CSV (docs/soak-rss.csv), PNG (docs/soak-rss.png), LABEL
# (added to the plot's title, e.g. "trial"), SERVER_ENV (more server
# settings, e.g. "IO_THREADS=2 BODY_LIMIT=65536").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build}
duration=${DURATION:-600}
threads=${THREADS:-2}
connections=${CONNECTIONS:-64}
session_ttl=${SESSION_TTL:-30}
warmup=${WARMUP:-$((duration / 4 < 120 ? duration / 4 : 120))}
window=${WINDOW:-$(((duration - warmup) / 3 < 60 ? (duration - warmup) / 3 : 60))}
growth_pct=${RSS_GROWTH_PCT:-10}
growth_min_kib=${RSS_GROWTH_MIN_KIB:-4096}
wrk_timeout=${WRK_TIMEOUT:-5s}
csv=${CSV:-$root/docs/soak-rss.csv}
png=${PNG:-$root/docs/soak-rss.png}
label=${LABEL:-}
read -r -a server_env <<<"${SERVER_ENV:-}"

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bin=$build/tenantd
tenants=$here/tenants-soak.jsonl
[[ -x "$bin" ]] || { echo "no $bin: build first (make build)" >&2; exit 1; }
((warmup + 2 * window <= duration && window > 0)) \
  || { echo "DURATION $duration too short for WARMUP $warmup + 2 x WINDOW $window" >&2; exit 1; }
# Sessions stop accumulating about SESSION_TTL plus a quarter of it (the
# tenants' sweep) after the start; before that RSS grows by design.
((warmup >= session_ttl * 5 / 4 + 1)) \
  || echo "warning: WARMUP $warmup s < SESSION_TTL $session_ttl s + a sweep: RSS still grows then" >&2
command -v gnuplot >/dev/null || "$root/scripts/install-deps.sh" --bench
raise_fd_limit

work=$(mktemp -d)
sampler=""
on_exit() { [[ -z "$sampler" ]] || kill "$sampler" 2>/dev/null || true; }
# shellcheck source=tests/support/harness.sh
source "$root/tests/support/harness.sh"

# sample CSV: one line a second while the server lives (killed when done).
sample() {
  local t0=${EPOCHREALTIME/./} now next=1 rss data
  echo "elapsed_s,rss_kib,data_kib,fds" >"$1"
  while kill -0 "$pid" 2>/dev/null; do
    now=${EPOCHREALTIME/./}
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || break
    data=$(du -sk "$work/data" | cut -f1)
    local fds=("/proc/$pid/fd/"*)
    printf '%d.%d,%s,%s,%d\n' $(((now - t0) / 1000000)) $(((now - t0) / 100000 % 10)) \
      "$rss" "$data" "${#fds[@]}" >>"$1"
    # Sleep to the next whole second since the start.
    now=${EPOCHREALTIME/./}
    while ((t0 + next * 1000000 <= now)); do next=$((next + 1)); done
    sleep "$(printf '0.%06d' $((t0 + next * 1000000 - now)))"
  done
}

start_server SESSION_TTL="$session_ttl" "${server_env[@]}"
LIMITED_QUOTA=$(jq -r 'select(.id == "limited") | .limits.chat_per_10s' "$tenants")
export LIMITED_QUOTA POOL OVERSIZE_BYTES
machine_line=$(machine)
echo "machine: $machine_line"
echo "server: $bin SESSION_TTL=$session_ttl ${SERVER_ENV:-}(pid $pid, $url)"
echo "load: wrk -t$threads -c$connections -d${duration}s --timeout $wrk_timeout -s bench/wrk/soak.lua"
echo "RSS flat: median of [$warmup, $((warmup + window))) s vs [$((duration - window)), $duration) s," \
  "limit max($growth_pct %, $growth_min_kib KiB)"

sample "$work/rss.csv" &
sampler=$!
wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout "$wrk_timeout" --latency \
  -s "$here/wrk/soak.lua" "$url/" | tee "$work/wrk.out"
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=""
mkdir -p "$(dirname "$csv")" "$(dirname "$png")"
cp "$work/rss.csv" "$csv"

failures=()
server_alive=1
kill -0 "$pid" 2>/dev/null || { server_alive=0; failures+=("the server died during the run"); }

# wrk's verdict.
result=$(grep '^SOAK_RESULT' "$work/wrk.out" || true)
[[ -n "$result" ]] || fail "wrk printed no SOAK_RESULT"
field() { value_of "$1" <<<"$result"; }
requests=$(field requests); rps=$(field rps)
s5xx=$(field s5xx); unexpected=$(field unexpected); socket_errors=$(field socket_errors)
((s5xx == 0)) || failures+=("$s5xx answers were 5xx")
((unexpected == 0)) || failures+=("$unexpected unexpected answers")
((socket_errors == 0)) || failures+=("$socket_errors socket errors")

# RSS: the two windows and the peak after warm-up.
window_median() { # FROM TO: median rss_kib of samples with FROM <= elapsed < TO
  awk -F, -v from="$1" -v to="$2" 'NR > 1 && $1 >= from && $1 < to {print $2}' "$csv" | median
}
base=$(window_median "$warmup" $((warmup + window)))
last=$(window_median $((duration - window)) $((duration + 1)))
peak=$(awk -F, -v from="$warmup" 'NR > 1 && $1 >= from && $2 > m {m = $2} END {print m + 0}' "$csv")
read -r first_data last_data first_fds last_fds samples < <(awk -F, \
  'NR == 2 {d0 = $3; f0 = $4} NR > 1 {d = $3; f = $4; n++} END {print d0, d, f0, f, n}' "$csv")
read -r growth limit per_request < <(awk -v b="$base" -v l="$last" -v pct="$growth_pct" \
  -v min="$growth_min_kib" -v req="$requests" -v d="$duration" -v w="$window" -v wu="$warmup" \
  'BEGIN {lim = b * pct / 100; if (lim < min) lim = min
    between = req * (d - w - wu) / d   # requests between the windows (about)
    printf "%.0f %.0f %.2f\n", l - b, lim, (between > 0 ? lim * 1024 / between : 0)}')
((growth <= limit)) || failures+=("RSS grew by $growth KiB after warm-up (limit $limit KiB)")

# Graceful stop.
if ((server_alive)); then
  stop_start=${EPOCHREALTIME/./}
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  stop_ms=$(((${EPOCHREALTIME/./} - stop_start) / 1000))
  pid=""
  ((rc == 0)) || failures+=("graceful stop exited $rc")
fi
warnings=$(grep -cE ' (WARN|ERROR) ' "$log" || true)

mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
title="tenantd soak: ${duration} s of mixed traffic, $(thousands "$requests") requests ($(thousands "$rps")/s), $s5xx 5xx, $socket_errors socket errors${label:+ ($label)}"
subtitle="wrk -t$threads -c$connections, 4 tenants, SESSION_TTL=$session_ttl s; $machine_line"
gnuplot <<GNUPLOT
set terminal pngcairo size 1000,560 font ",10"
set output "$png"
set datafile separator ","
set title "$title\n$subtitle" noenhanced
set xlabel "elapsed (s)"
set ylabel "RSS (MiB)"
set y2label "data dir (MiB)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key bottom right
set grid
set object 1 rect from $warmup, graph 0 to $((warmup + window)), graph 1 behind fc rgb "#e8e8e8" fillstyle solid noborder
set object 2 rect from $((duration - window)), graph 0 to $duration, graph 1 behind fc rgb "#e8e8e8" fillstyle solid noborder
set label 1 "compared windows (grey)" at graph 0.01, graph 0.04
plot "$csv" using 1:(\$2/1024) every ::1 with lines lw 2 title "RSS", \
     "$csv" using 1:(\$3/1024) every ::1 axes x1y2 with lines dt 2 title "data dir"
GNUPLOT

echo
echo "=== soak summary (${duration} s) ==="
echo "requests: $(thousands "$requests") ($(thousands "$rps")/s), 5xx: $s5xx, unexpected: $unexpected, socket errors: $socket_errors"
echo "RSS median [$warmup, $((warmup + window))) s: $(mib "$base"); last $window s: $(mib "$last");" \
  "growth $growth KiB (limit $limit KiB: a leak of >= $per_request bytes/request would exceed it)"
echo "RSS peak after warm-up: $(mib "$peak"); samples: $samples"
echo "data dir: $(mib "$first_data") -> $(mib "$last_data"); open fds: $first_fds -> $last_fds"
[[ -z "${stop_ms:-}" ]] || echo "graceful stop: exit ${rc:-?} in $stop_ms ms"
echo "server log: $warnings WARN/ERROR lines"
grep -E ' (WARN|ERROR) ' "$log" | head -n 5 || true
echo "CSV: $csv"
echo "plot: $png"
if ((${#failures[@]})); then
  printf 'FAIL: %s\n' "${failures[@]}"
  exit 1
fi
echo "PASS"
