#pragma once

// The service's own secrets in the data directory (the admin token, the key
// secret, the config key): one token per file, readable by its owner only,
// generated once from the CSPRNG and never logged.

#include <string>
#include <utility>

namespace tenantd::crypto {

/// Reads the token in `path` (16-256 visible characters), or creates the
/// file (mode 0600, O_EXCL) with 256 fresh CSPRNG bits as 64 hex digits;
/// the token and whether this call made it. Throws std::runtime_error
/// naming the file (and `what` it holds) if it cannot be read or written,
/// holds no such token, or can be read by group or others.
std::pair<std::string, bool> read_or_create_secret(const std::string& path,
                                                   const std::string& what);

} // namespace tenantd::crypto
