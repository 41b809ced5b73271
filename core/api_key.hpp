#pragma once

// Tenant API keys, shaped like GitHub's tokens so that secret scanners can
// find a leaked one and a typo is caught before any lookup:
//
//   tdk_<tenant>_<secret><checksum>
//
// <tenant> is a tenant id (is_valid_tenant_id), <secret> 30 base62
// characters from the CSPRNG (about 178 bits), <checksum> the CRC32 of
// everything before it, in 6 base62 characters, zero-padded.

#include <optional>
#include <string>
#include <string_view>

namespace tenantd {

inline constexpr std::string_view api_key_prefix = "tdk_";

/// The regular expression secret scanners use (published in docs/).
inline constexpr std::string_view api_key_pattern =
  "tdk_[a-z0-9][a-z0-9-]{0,62}_[0-9A-Za-z]{36}";

/// A fresh API key for `tenant`, which must be a valid tenant id (throws
/// std::invalid_argument otherwise). Throws if the kernel's CSPRNG fails.
std::string make_api_key(std::string_view tenant);

/// An API key taken apart. The views point into the parsed key, which must
/// outlive them.
struct api_key_parts {
  std::string_view tenant;
  std::string_view secret_and_checksum;
};

/// The key's tenant if `key` has the format and its checksum matches, else
/// nothing (a mistyped key is refused without a lookup).
std::optional<api_key_parts> parse_api_key(std::string_view key);

/// What lists show of a key: the prefix through the first 4 secret
/// characters, e.g. "tdk_acme_Ab3x"; empty if `key` is not an API key.
std::string api_key_display_prefix(std::string_view key);

} // namespace tenantd
