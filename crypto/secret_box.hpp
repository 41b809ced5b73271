#pragma once

// Secrets kept at rest (an upstream's API key in a stored tenant config),
// sealed with AES-256-GCM (OpenSSL EVP) under a 256-bit key of the data
// directory. Each seal takes a fresh 96-bit nonce from the CSPRNG, and a
// context (the tenant and the field) as associated data, so that a sealed
// value copied to another tenant's row, or another field, does not open.

#include <optional>
#include <string>
#include <string_view>

namespace tenantd::crypto {

/// AES-256-GCM of `plaintext` under `key` (32 bytes) and `nonce` (12
/// bytes), authenticating `aad`: the ciphertext followed by the 16-byte
/// tag. Throws std::invalid_argument on a wrong key or nonce size.
std::string aes256gcm_seal(std::string_view key, std::string_view nonce,
                           std::string_view aad, std::string_view plaintext);

/// The plaintext of `sealed` (ciphertext and tag), or nothing if the tag
/// does not verify under `key`, `nonce` and `aad`.
std::optional<std::string> aes256gcm_open(std::string_view key,
                                          std::string_view nonce,
                                          std::string_view aad,
                                          std::string_view sealed);

class secret_box {
public:
  /// `key`: 32 bytes. Throws std::invalid_argument otherwise.
  explicit secret_box(std::string key);

  /// "v1." then base64url(nonce, ciphertext, tag).
  std::string seal(std::string_view plaintext, std::string_view context) const;

  /// The plaintext of a seal() made under the same key and context, or
  /// nothing (another key or context, altered or malformed).
  std::optional<std::string> open(std::string_view sealed,
                                  std::string_view context) const;

private:
  std::string key_;
};

} // namespace tenantd::crypto
