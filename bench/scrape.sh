#!/usr/bin/env bash
# The cost of a Prometheus scrape with many live tenants, against the real
# binary on a fresh data dir (docs/benchmarks.md, "Scrape"):
# 1. TENANTS (10,000) tenants created through POST /tenants, each then
#    given one session and one chat (so each has its request series too);
#    TENANT_IDLE=3600: every tenant actor stays live.
# 2. SCRAPES (21) scrapes of GET /metrics one after another: the median and
#    slowest time to the last byte (curl's time_total), the size and lines.
# 3. GET /healthz with wrk -t1 -c4 for PHASE (10) s, alone and beside
#    SCRAPERS (4) clients scraping in a loop: its p50 and p99 both times.
#
#   bench/scrape.sh [BUILD_DIR]         TENANTD_BIN=... for another binary
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
tenants=${TENANTS:-10000}
scrapes=${SCRAPES:-21}
scrapers=${SCRAPERS:-4}
phase=${PHASE:-10}
port=${PORT:-18185}
bin=${TENANTD_BIN:-$build/tenantd}
token=scrape-bench-admin-token-$RANDOM$RANDOM
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "no $tool: scripts/install-deps.sh --bench" >&2; exit 1; }
done
data=$(mktemp -d)
log=$(mktemp)
loops=()
trap 'kill "${loops[@]}" $pid 2>/dev/null || true; rm -rf "$data" "$log"' EXIT
url=http://127.0.0.1:$port

ADMIN_TOKEN=$token TENANT_IDLE=3600 "$bin" --host 127.0.0.1 --port "$port" \
  --data-dir "$data" --tenants-file "$here/tenants-bench.jsonl" 2>>"$log" &
pid=$!
for _ in $(seq 400); do curl -sf "$url/" >/dev/null && break; sleep 0.05; done

echo "machine: $(machine)"
start=$(date +%s.%N)
python3 - "$port" "$token" "$tenants" <<'PY'
import http.client, json, sys
port, token, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
def ask(method, path, body, headers={}):
    c.request(method, path, json.dumps(body),
              {"Content-Type": "application/json", **headers})
    r = c.getresponse()
    data = r.read()
    if r.status not in (200, 201):
        sys.exit(f"{method} {path}: {r.status} {data[:200]}")
    return json.loads(data)
for i in range(1, count + 1):
    t = f"scrape-{i}"
    ask("POST", "/tenants", {"id": t, "name": f"Tenant {t}", "welcome": "Hi."},
        {"Authorization": f"Bearer {token}"})
    sid = ask("POST", "/session", {"tenant_id": t})["session_id"]
    ask("POST", "/chat", {"tenant_id": t, "session_id": sid, "message": "hi"})
PY
awk -v s="$start" -v e="$(date +%s.%N)" -v n="$tenants" \
  'BEGIN {printf "setup: %d tenants created, each with a session and a chat, in %.1f s\n", n, e - s}'
echo "RSS: $(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status") MiB"

times=()
for _ in $(seq "$scrapes"); do
  read -r t size < <(curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "$url/metrics")
  times+=("$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')")
done
lines=$(curl -s "$url/metrics" | wc -l)
slowest=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
echo "scrape: $(thousands "$size") bytes, $(thousands "$lines") lines;" \
  "time to last byte $(printf '%s\n' "${times[@]}" | median) ms median, $slowest ms slowest of $scrapes"

healthz() {
  wrk -t1 -c4 -d"${phase}s" --latency "$url/healthz" \
    | awk '/^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2} END {print "p50 " p50 ", p99 " p99}'
}
echo "/healthz alone: $(healthz)"
for _ in $(seq "$scrapers"); do
  (while kill -0 "$pid" 2>/dev/null; do curl -s -o /dev/null "$url/metrics" || true; done) &
  loops+=("$!")
done
echo "/healthz beside $scrapers scrapers: $(healthz)"
kill "${loops[@]}" 2>/dev/null || true
