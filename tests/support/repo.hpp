#pragma once

// Files of the repository the tests read (tenants.jsonl, docs/).

#include <string>
#include <string_view>

namespace tenantd::test {

/// `relative` (e.g. "tenants.jsonl") inside the source tree.
inline std::string repo_path(std::string_view relative) {
  return std::string{TENANTD_SOURCE_DIR} + "/" + std::string{relative};
}

} // namespace tenantd::test
