#pragma once

// Compact JWTs taken apart and put together by hand, for the tests that
// check which tokens the service refuses: any header and claims, signed
// with any Ed25519 key, with HMAC-SHA-256 under any secret (the "HS256
// with the public key" confusion), or not at all ("alg": "none"). Only
// crypto/ and Boost.JSON: usable by the bridge tests and the HTTP tests.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/digest.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "crypto/jws.hpp"

namespace tenantd::test {

/// The three segments of a compact JWS, as they are (base64url).
struct jwt_segments {
  std::string header;
  std::string payload;
  std::string signature;
};

inline jwt_segments split_jwt(std::string_view token) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  return {std::string{token.substr(0, first)},
          std::string{token.substr(first + 1, second - first - 1)},
          std::string{token.substr(second + 1)}};
}

/// The JSON object a base64url segment encodes (empty if it is not one).
inline boost::json::object decode_segment(std::string_view segment) {
  auto text = crypto::base64url_decode(segment);
  if (!text)
    return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  return !ec && v.is_object() ? v.get_object() : boost::json::object{};
}

inline boost::json::object jwt_header(std::string_view token) {
  return decode_segment(split_jwt(token).header);
}

inline boost::json::object jwt_claims(std::string_view token) {
  return decode_segment(split_jwt(token).payload);
}

inline std::string encode_segment(const boost::json::object& obj) {
  return crypto::base64url_encode(boost::json::serialize(obj));
}

/// "b64(header).b64(claims)": what a signature covers.
inline std::string signing_input(const boost::json::object& header,
                                 const boost::json::object& claims) {
  return encode_segment(header) + "." + encode_segment(claims);
}

/// Signed with `key` whatever `header` says (jws_sign insists on EdDSA).
inline std::string sign_ed25519(const boost::json::object& header,
                                const boost::json::object& claims,
                                const crypto::ed25519_key& key) {
  auto input = signing_input(header, claims);
  return input + "." + crypto::base64url_encode(key.sign(input));
}

/// Signed with HMAC-SHA-256 under `secret`, whatever `header` says.
inline std::string sign_hs256(const boost::json::object& header,
                              const boost::json::object& claims,
                              std::string_view secret) {
  auto input = signing_input(header, claims);
  return input + "."
         + crypto::base64url_encode(
           crypto::to_bytes(crypto::hmac_sha256(secret, input)));
}

/// Unsigned: "b64(header).b64(claims)." plus `signature` (none by default).
inline std::string unsigned_jwt(const boost::json::object& header,
                                const boost::json::object& claims,
                                std::string_view signature = {}) {
  return signing_input(header, claims) + "." + std::string{signature};
}

/// `token` with its claims replaced by `claims`, its header and signature
/// kept (a tampered payload).
inline std::string with_claims(std::string_view token,
                               const boost::json::object& claims) {
  auto parts = split_jwt(token);
  return parts.header + "." + encode_segment(claims) + "." + parts.signature;
}

/// The DER SubjectPublicKeyInfo of an Ed25519 public key (RFC 8410).
inline std::string ed25519_spki_der(std::string_view raw32) {
  static const unsigned char prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                         0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  return std::string{reinterpret_cast<const char*>(prefix), sizeof prefix}
         + std::string{raw32};
}

/// Standard base64 with padding (for PEM).
inline std::string base64_padded(std::string_view bytes) {
  auto url = crypto::base64url_encode(bytes);
  for (auto& c : url)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (url.size() % 4 != 0)
    url += '=';
  return url;
}

/// The public key as "-----BEGIN PUBLIC KEY-----" PEM, as a verifier that
/// takes PEM keys would hold it (with the final newline when `newline`).
inline std::string ed25519_public_pem(std::string_view raw32,
                                      bool newline = true) {
  return "-----BEGIN PUBLIC KEY-----\n" + base64_padded(ed25519_spki_der(raw32))
         + "\n-----END PUBLIC KEY-----" + (newline ? "\n" : "");
}

/// Every form of a public key an HS256 confusion attack could use as the
/// HMAC secret: the raw bytes, their base64url (the JWK's "x"), the PEM
/// with and without its final newline, the DER, and the JWK's JSON.
inline std::vector<std::string> public_key_forms(const crypto::ed25519_key& key,
                                                 std::string_view kid) {
  auto raw = key.public_raw();
  return {raw,
          crypto::base64url_encode(raw),
          ed25519_public_pem(raw, true),
          ed25519_public_pem(raw, false),
          ed25519_spki_der(raw),
          boost::json::serialize(crypto::public_jwk(key, kid))};
}

} // namespace tenantd::test
