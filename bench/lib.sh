# shellcheck shell=bash
# Shared by the bench scripts (sourced, not run).

# The median of the numbers on stdin, one per line ("nan" if none).
median() {
  sort -n | awk '{a[NR] = $1}
    END {if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# The value of KEY in key=value words on stdin ("... rps=123 p99_ms=4.5 ...").
value_of() {
  sed -E "s/.*(^| )$1=([^ ]*).*/\2/"
}

# "rps p50 p99": the medians of wrk/report.lua's RESULT lines given as
# arguments.
result_medians() {
  local rps p50 p99
  rps=$(printf '%s\n' "$@" | value_of rps | median)
  p50=$(printf '%s\n' "$@" | value_of p50_ms | median)
  p99=$(printf '%s\n' "$@" | value_of p99_ms | median)
  echo "$rps $p50 $p99"
}

# NUMBER with thousands separators: 1234567 -> 1,234,567.
thousands() {
  sed -E ':a; s/([0-9])([0-9]{3})($|[^0-9])/\1,\2\3/; ta' <<<"$1"
}

# One line naming the machine: cores, CPU model, memory.
machine() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
}

# nginx_conf DIR PORT LOCATIONS: writes DIR/nginx.conf for one worker on
# 127.0.0.1:PORT, no access log, long keep-alive, temp files in DIR, the
# server block's LOCATIONS (nginx directives) answering JSON.
nginx_conf() {
  cat >"$1/nginx.conf" <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
  server {
    listen 127.0.0.1:$2;
    default_type application/json;
    $3
  }
}
CONF
}

# Raises this shell's soft limit of open files to the hard limit (children
# inherit it): thousands of connections need thousands of descriptors, on
# the server's side and the clients'.
raise_fd_limit() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

# Opens one session in each of acme, globex and initech at URL and exports
# them as SESSION_ACME, SESSION_GLOBEX, SESSION_INITECH (for wrk/chat.lua).
open_chat_sessions() {
  local t sid
  for t in acme globex initech; do
    sid=$(curl -sf -X POST "$1/session" -H 'Content-Type: application/json' \
      -d "{\"tenant_id\":\"$t\"}" | jq -r .session_id)
    export "SESSION_${t^^}=$sid"
  done
}
