#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker engine: `docker-compose config`
# must accept the file, and the resolved configuration of service `api` must
# keep the seed's deployment contract:
#   - built from the repository directory,
#   - host port 8001 published to container port 8000,
#   - <repo>/tenants.jsonl bind-mounted read-only at /app/tenants.jsonl,
#   - environment PORT=8000;
# and of service `prometheus`:
#   - <repo>/deploy/prometheus mounted read-only at /etc/prometheus, whose
#     prometheus.yml scrapes api:8000 and passes `promtool check config`
#     (rule files included).
#
# Usage: tests/compose_config_test.sh [REPO_DIR]
#   REPO_DIR defaults to the parent of this script's directory.
#   DOCKER_COMPOSE may name the compose command (default: `docker-compose`,
#   else `docker compose` when the Compose v2 plugin is installed).
#
# Exit status: 0 pass, 1 fail, 77 skipped (no compose tool installed; register
# with ctest's SKIP_RETURN_CODE 77 to report it as skipped).
#
# Both output styles are understood: docker-compose 1.29 (PyYAML, ports in long
# form, volumes in short form) and Compose v2 (long form for both).
set -uo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="${1:-"$script_dir/../.."}"
if ! repo="$(cd "$repo" 2>/dev/null && pwd)"; then
  echo "FAIL: repository directory '${1:-}' does not exist" >&2
  exit 1
fi
repo_phys="$(cd "$repo" && pwd -P)"
compose_file="$repo/docker-compose.yml"
[ -f "$compose_file" ] || { echo "FAIL: $compose_file not found" >&2; exit 1; }

# --- pick the compose command ------------------------------------------------
if [ -n "${DOCKER_COMPOSE:-}" ]; then
  read -r -a compose <<<"$DOCKER_COMPOSE"
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "SKIP: neither docker-compose nor the docker compose plugin is installed" >&2
  exit 77
fi

# --- resolve the configuration -----------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Run from a neutral directory so no stray .env or COMPOSE_* settings of the
# caller's working directory leak in; -f names the file explicitly.
if ! (cd "$tmp" && env -u COMPOSE_FILE -u COMPOSE_PROFILES \
        "${compose[@]}" -f "$compose_file" config) >"$tmp/config.yml" 2>"$tmp/stderr"; then
  echo "FAIL: '${compose[*]} -f $compose_file config' failed:" >&2
  cat "$tmp/stderr" >&2
  exit 1
fi
if [ -s "$tmp/stderr" ]; then
  echo "note: ${compose[*]} config wrote to stderr:" >&2
  cat "$tmp/stderr" >&2
fi

# --- flatten the block-style YAML into path=value lines -----------------------
# e.g. "services.api.ports[0].published=8001",
#      "services.api.volumes[0]=/repo/tenants.jsonl:/app/tenants.jsonl:ro".
# Enough for what compose prints (block mappings/sequences of plain or quoted
# scalars); list items may sit at their key's indentation or deeper.
flatten() {
  awk '
    function unquote(s) {
      if (s ~ /^".*"$/ || s ~ /^\047.*\047$/) s = substr(s, 2, length(s) - 2)
      return s
    }
    function path(   p, i) {
      p = ""
      for (i = 1; i <= depth; i++)
        p = (seg[i] ~ /^\[/ || p == "") ? p seg[i] : p "." seg[i]
      return p
    }
    # A "key: value" / "key:" / scalar entry whose text starts at column `col`.
    function entry(col, text,   k, v, pos) {
      pos = index(text, ": ")
      if (text !~ /^["\047]/ && (pos > 0 || text ~ /:$/)) {
        if (pos > 0) { k = substr(text, 1, pos - 1); v = substr(text, pos + 2) }
        else         { k = substr(text, 1, length(text) - 1); v = "" }
        k = unquote(k); sub(/[ \t]+$/, "", v)
        while (depth > 0 && indent[depth] >= col) depth--
        if (v == "") { depth++; seg[depth] = k; indent[depth] = col; kind[depth] = "key" }
        else         { print (path() == "" ? k : path() "." k) "=" unquote(v) }
      } else {
        print path() "=" unquote(text)
      }
    }
    /^[ \t]*(#|$)/ || /^---/ { next }
    {
      line = $0; sub(/[ \t\r]+$/, "", line)
      match(line, /^ */); n = RLENGTH; text = substr(line, n + 1)
      if (text ~ /^- / || text == "-") {
        # New sequence item: drop deeper entries and earlier items of this list.
        while (depth > 0 && (indent[depth] > n || (kind[depth] == "item" && indent[depth] >= n))) depth--
        parent = path()
        i = count[parent]++
        depth++; seg[depth] = "[" i "]"; indent[depth] = n; kind[depth] = "item"
        text = substr(text, 3)
        if (text != "") entry(n + 2, text)
      } else {
        entry(n, text)
      }
    }
  '
}
flatten <"$tmp/config.yml" >"$tmp/flat.txt"

# --- assertions ---------------------------------------------------------------
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# value of an exact flattened path (first match), empty if absent
get() { awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$tmp/flat.txt"; }
# indices of the items of list $1
items() { grep -o "^$1\[[0-9]*\]" "$tmp/flat.txt" | sed 's/.*\[\([0-9]*\)\]$/\1/' | sort -un; }
is_repo_path() { [ "$1" = "$repo/$2" ] || [ "$1" = "$repo_phys/$2" ]; }

svc="services.api"
grep -q "^${svc}[.[]" "$tmp/flat.txt" || fail "service 'api' missing from the resolved config"

# build context is the repository directory
ctx="$(get "$svc.build.context")"; [ -n "$ctx" ] || ctx="$(get "$svc.build")"
if [ "$ctx" = "$repo" ] || [ "$ctx" = "$repo_phys" ]; then pass "build context $ctx"
else fail "build context is '$ctx', expected $repo"; fi

# 8001 (host) -> 8000 (container), TCP
found=""
for i in $(items "$svc.ports"); do
  short="$(get "$svc.ports[$i]")"
  if [[ "$short" =~ ^8001:8000(/tcp)?$ ]]; then found="$short"; break; fi
  pub="$(get "$svc.ports[$i].published")"; tgt="$(get "$svc.ports[$i].target")"
  proto="$(get "$svc.ports[$i].protocol")"
  if [ "$pub" = 8001 ] && [ "$tgt" = 8000 ] && { [ -z "$proto" ] || [ "$proto" = tcp ]; }; then
    found="published=$pub target=$tgt"; break
  fi
done
if [ -n "$found" ]; then pass "port mapping 8001->8000 ($found)"
else fail "no port mapping 8001->8000 for service api"; fi

# read-only bind mount of <repo>/tenants.jsonl at /app/tenants.jsonl
found=""
for i in $(items "$svc.volumes"); do
  short="$(get "$svc.volumes[$i]")"
  if [ -n "$short" ]; then
    IFS=: read -r src dst mode <<<"$short"
    if is_repo_path "$src" tenants.jsonl && [ "$dst" = /app/tenants.jsonl ] \
       && [[ ",$mode," == *",ro,"* ]]; then found="$short"; break; fi
  fi
  typ="$(get "$svc.volumes[$i].type")"; src="$(get "$svc.volumes[$i].source")"
  dst="$(get "$svc.volumes[$i].target")"; ro="$(get "$svc.volumes[$i].read_only")"
  if [ "$typ" = bind ] && is_repo_path "$src" tenants.jsonl \
     && [ "$dst" = /app/tenants.jsonl ] && [ "$ro" = true ]; then
    found="bind $src -> $dst read_only"; break
  fi
done
if [ -n "$found" ]; then pass "read-only tenants.jsonl mount ($found)"
else fail "no read-only bind mount of $repo/tenants.jsonl at /app/tenants.jsonl"; fi

# PORT=8000 (mapping form, or list form "PORT=8000")
port="$(get "$svc.environment.PORT")"
if [ -z "$port" ]; then
  for i in $(items "$svc.environment"); do
    v="$(get "$svc.environment[$i]")"
    [[ "$v" == PORT=* ]] && { port="${v#PORT=}"; break; }
  done
fi
if [ "$port" = 8000 ]; then pass "environment PORT=8000"
else fail "environment PORT is '${port:-<unset>}', expected 8000"; fi

# Prometheus: its config from the repository, scraping the API's port.
prom="services.prometheus"
found=""
for i in $(items "$prom.volumes"); do
  short="$(get "$prom.volumes[$i]")"
  if [ -n "$short" ]; then
    IFS=: read -r src dst mode <<<"$short"
    if is_repo_path "$src" deploy/prometheus && [ "$dst" = /etc/prometheus ] \
       && [[ ",$mode," == *",ro,"* ]]; then found="$short"; break; fi
  fi
  typ="$(get "$prom.volumes[$i].type")"; src="$(get "$prom.volumes[$i].source")"
  dst="$(get "$prom.volumes[$i].target")"; ro="$(get "$prom.volumes[$i].read_only")"
  if [ "$typ" = bind ] && is_repo_path "$src" deploy/prometheus \
     && [ "$dst" = /etc/prometheus ] && [ "$ro" = true ]; then
    found="bind $src -> $dst read_only"; break
  fi
done
if [ -n "$found" ]; then pass "prometheus config mount ($found)"
else fail "no read-only mount of $repo/deploy/prometheus at /etc/prometheus"; fi
prom_config="$repo/deploy/prometheus/prometheus.yml"
if grep -q '"api:8000"' "$prom_config"; then pass "prometheus scrapes api:8000"
else fail "$prom_config does not scrape api:8000"; fi
if ! command -v promtool >/dev/null 2>&1; then
  fail "promtool not installed (Debian package prometheus; make deps)"
elif promtool check config "$prom_config" >"$tmp/promtool" 2>&1; then
  pass "promtool check config (rules included)"
else
  fail "promtool check config $prom_config: $(cat "$tmp/promtool")"
fi

if [ "$failures" -ne 0 ]; then
  echo "--- resolved config ---" >&2
  cat "$tmp/config.yml" >&2
  echo "compose_config_test: $failures check(s) failed" >&2
  exit 1
fi
echo "compose_config_test: all checks passed"
