#pragma once

// The admin API's bearer token: from ADMIN_TOKEN, or generated once (256
// bits from the CSPRNG) and kept in the data directory, readable by its
// owner only. The token itself is never logged; only where it lives.

#include <string>

namespace tenantd {

struct admin_token {
  std::string value;
  /// "ADMIN_TOKEN", or the file it was read from or written to.
  std::string origin;
  /// True if this start generated it.
  bool generated = false;
};

/// The file name inside the data directory.
constexpr const char* admin_token_file = "admin-token";

/// Returns `from_env` if not empty; else reads `data_dir`/admin-token, or
/// creates it (mode 0600) with a fresh token. Throws std::runtime_error
/// naming the file if it cannot be read or written, is empty, or can be read
/// by group or others.
admin_token resolve_admin_token(const std::string& from_env,
                                const std::string& data_dir);

} // namespace tenantd
