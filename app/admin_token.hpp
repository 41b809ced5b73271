#pragma once

// The service's own secrets, kept in the data directory readable by its
// owner only: the admin API's bearer token (or ADMIN_TOKEN) and the key
// secret API keys are hashed under. Each is generated once (256 bits from
// the CSPRNG); neither is ever logged, only where it lives.

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

/// The file of the key secret inside the data directory.
constexpr const char* key_secret_file = "key-secret";

/// The secret API keys are stored under (HMAC-SHA-256): `data_dir`/
/// key-secret, created (mode 0600) with 256 CSPRNG bits on the first start.
/// Losing it makes every API key invalid; it is never logged. Throws as
/// resolve_admin_token.
std::string resolve_key_secret(const std::string& data_dir);

} // namespace tenantd
