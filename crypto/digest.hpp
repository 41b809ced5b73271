#pragma once

// SHA-256, HMAC-SHA-256 and a comparison that takes as long whatever the
// bytes, over OpenSSL 3.

#include <array>
#include <string>
#include <string_view>

namespace tenantd::crypto {

using digest = std::array<unsigned char, 32>;

/// SHA-256 of `data`.
digest sha256(std::string_view data);

/// HMAC-SHA-256 of `data` under `key` (RFC 2104; any key length).
digest hmac_sha256(std::string_view key, std::string_view data);

/// Whether `a` and `b` hold the same bytes, in a time that depends on their
/// lengths only (lengths are not secret: a MAC's or a hash's is fixed).
bool equal_in_constant_time(std::string_view a, std::string_view b);

/// `d` as 64 lowercase hex digits.
std::string to_hex(const digest& d);

/// `d`'s bytes as a string (to compare, encode or store them).
std::string to_bytes(const digest& d);

} // namespace tenantd::crypto
