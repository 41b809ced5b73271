#pragma once

// Compact JWS (RFC 7515) signed with EdDSA over Ed25519 (RFC 8037), the only
// algorithm the service makes or accepts, and the JWKs that publish its
// public keys. Parsing checks the form only, not the signature: the caller
// picks the key by the header's "kid" and verifies with it. The algorithm is the key's, never the
// header's, so a token cannot choose how it is checked.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "crypto/ed25519.hpp"

namespace tenantd::crypto {

/// The longest compact JWS jws_parse reads: a token is a few hundred bytes,
/// and a bound keeps decoding cheap whatever a client sends.
inline constexpr std::size_t max_jws_size = 8 * 1024;

/// `header` and `payload` serialised, base64url-encoded and signed with
/// `key`: "b64(header).b64(payload).b64(signature)". `header` must already
/// hold "alg": "EdDSA" (throws std::invalid_argument otherwise) and the
/// "typ" and "kid" the verifier expects.
std::string jws_sign(const boost::json::object& header,
                     const boost::json::object& payload,
                     const ed25519_key& key);

/// A compact JWS taken apart, its signature not yet checked.
struct jws_parts {
  boost::json::object header;
  boost::json::object payload;
  /// "b64(header).b64(payload)" as received: what the signature covers.
  std::string signing_input;
  /// The decoded signature bytes.
  std::string signature;
};

/// The parts of `compact`, or nothing unless it is at most max_jws_size
/// bytes of exactly three non-empty base64url segments whose header and
/// payload are JSON objects, the header says "alg": "EdDSA" (a token that
/// claims another algorithm, "none" included, is not one of ours) and has
/// no "crit" (RFC 7515 §4.1.11: no extension is understood here). Does not
/// check the signature: ed25519_key::verify(parts.signing_input,
/// parts.signature) does.
std::optional<jws_parts> jws_parse(std::string_view compact);

/// The public JWK of `key` (RFC 8037 §2): {"kty":"OKP","crv":"Ed25519",
/// "x":b64url(public key),"kid":kid,"alg":"EdDSA","use":"sig"}.
boost::json::object public_jwk(const ed25519_key& key, std::string_view kid);

/// The RFC 7638 thumbprint of `key`'s public JWK: base64url of the SHA-256
/// of {"crv":"Ed25519","kty":"OKP","x":"…"} (members sorted, no spaces).
/// The signing keys' kid.
std::string jwk_thumbprint(const ed25519_key& key);

} // namespace tenantd::crypto
