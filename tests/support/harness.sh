# Shared by the whole-binary test scripts and bench/soak.sh, bench/abuse.sh
# (sourced, not run): a work directory removed on exit, fail() with the
# server's log, and a server started on a free port.
#
# The sourcing script sets `bin`, `tenants` and `work` first, and may set
# `on_exit` (a function run before the server is killed) and `log_lines`.
# start_server [ENV=VALUE...] starts "$bin" on 127.0.0.1 with its data in
# "$work/data" and sets `pid`, `port` and `url`.

log="$work/tenantd.log"
pid=""

cleanup() {
  if declare -F on_exit >/dev/null; then on_exit; fi
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -s "$log" ]]; then
    echo "--- tenantd log ---" >&2
    tail -n "${log_lines:-40}" "$log" >&2
  fi
  exit 1
}

start_server() {
  : >"$log"
  env "$@" "$bin" --host 127.0.0.1 --port 0 --tenants-file "$tenants" \
    --data-dir "$work/data" 2>"$log" &
  pid=$!
  port=""
  for _ in $(seq 500); do # 10 s at 20 ms
    port="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\) .*|\1|p' "$log" | head -n 1)"
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "the server exited during start-up"
    sleep 0.02
  done
  [[ -n "$port" ]] || fail "the server did not start listening"
  url="http://127.0.0.1:$port"
}
