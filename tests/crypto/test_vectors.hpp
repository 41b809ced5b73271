#pragma once

// Published Ed25519 test data shared by the crypto tests: RFC 8032 §7.1
// TEST 1, whose key RFC 8037 Appendix A reuses.

#include <string>
#include <string_view>

#include "crypto/encoding.hpp"

namespace tenantd::test {

inline std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string{hex.substr(i, 2)}, nullptr,
                                       16));
  return out;
}

inline const std::string rfc8032_test1_seed = from_hex(
  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
inline const std::string rfc8032_test1_public = from_hex(
  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
inline const std::string rfc8032_test1_signature = from_hex(
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590"
  "a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

/// A PEM "PRIVATE KEY" block around the DER bytes `der`, in standard
/// base64 (the tests' keys are 48 bytes: no '=' needed).
inline std::string pem_of_private_der(std::string_view der) {
  auto text = crypto::base64url_encode(der);
  for (auto& c : text)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  return "-----BEGIN PRIVATE KEY-----\n" + text
         + "\n-----END PRIVATE KEY-----\n";
}

/// The PKCS#8 PEM of an Ed25519 seed (RFC 8410 §7): a fixed 16-byte DER
/// prefix, then the 32 seed bytes.
inline std::string ed25519_pem_of_seed(std::string_view seed32) {
  return pem_of_private_der(from_hex("302e020100300506032b657004220420")
                            + std::string{seed32});
}

} // namespace tenantd::test
