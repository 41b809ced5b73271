#!/usr/bin/env bash
# Checks that every #include follows the arrows between the folders
# (docs/architecture.md): app/ -> http/ -> actors/interfaces.hpp, app/ ->
# actors/ -> storage/ (from the store only), everything -> core/, and
# core/ on nothing with I/O; crypto/ (on core/ only, no I/O) is used by
# actors/ and http/. The CMake targets enforce the same at link time;
# this catches a header that reaches across without linking anything.
#
#   tests/layering_test.sh [REPO]
set -euo pipefail
repo="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$repo"

status=0
violation() {
  echo "layering: $1:$2: $3" >&2
  status=1
}

# check DIR ALLOWED_PROJECT_REGEX FORBIDDEN_SYSTEM_REGEX
check() {
  local dir=$1 allowed=$2 forbidden=$3 file line n
  while IFS= read -r file; do
    n=0
    while IFS= read -r line; do
      n=$((n + 1))
      case "$line" in
      '#include "'*)
        local inc=${line#\#include \"}
        inc=${inc%%\"*}
        [[ $inc =~ $allowed ]] || violation "$file" "$n" "may not include \"$inc\""
        ;;
      '#include <'*)
        local inc=${line#\#include <}
        inc=${inc%%>*}
        if [[ -n $forbidden && $inc =~ $forbidden ]]; then
          violation "$file" "$n" "may not include <$inc>"
        fi
        ;;
      esac
    done <"$file"
  done < <(find "$dir" -name '*.hpp' -o -name '*.cpp' -o -name '*.cpp.in' | sort)
}

io='^(caf/|boost/asio|boost/beast|sqlite3\.h|prometheus/)'
check util '^util/' "$io"
# core/ is pure: the cryptography lives in crypto/.
check core '^core/' '^(caf/|boost/asio|boost/beast|sqlite3\.h|prometheus/|openssl/|sodium)'
check crypto '^(core|crypto)/' "$io"
check metrics '^metrics/' '^(caf/|boost/asio|boost/beast|sqlite3\.h)'
check storage '^(core|crypto|storage|util)/' '^(caf/|boost/asio|boost/beast|prometheus/)'
check actors '^(core|actors|crypto|metrics|util|storage)/' '^(boost/asio|boost/beast|sqlite3\.h)'
check http '^(core/|crypto/|http/|metrics/|util/|actors/interfaces\.hpp$)' '^sqlite3\.h'

# Only the store reaches storage/.
while IFS=: read -r file n _; do
  case "$file" in
  actors/store.hpp | actors/store.cpp) ;;
  *) violation "$file" "$n" "only actors/store.* may include storage/" ;;
  esac
done < <(grep -n '^#include "storage/' actors/*.hpp actors/*.cpp || true)

if ((status == 0)); then
  echo "layering: every include follows the arrows"
fi
exit "$status"
