#pragma once

// base64url without padding (RFC 4648 §5), the encoding of JWS segments and
// JWK members (RFC 7515 §2). Decoding is strict so that one token has one
// spelling: no padding, no other alphabet, no stray bits.

#include <optional>
#include <string>
#include <string_view>

namespace tenantd::crypto {

/// `bytes` in base64url, without '=' padding.
std::string base64url_encode(std::string_view bytes);

/// The bytes `text` encodes, or nothing if it is not canonical unpadded
/// base64url: a character outside [A-Za-z0-9_-] (including '='), a length
/// of 4n+1, or non-zero bits left over after the last byte.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace tenantd::crypto
