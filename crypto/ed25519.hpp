#pragma once

// Ed25519 keys (RFC 8032) over OpenSSL 3: the service's token signing keys
// and the public keys it verifies with.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/types.h>

namespace tenantd::crypto {

/// An Ed25519 key pair, or a public key alone. Copies are cheap and share
/// one immutable OpenSSL key (a shared_ptr to it): keyring snapshots handed
/// to several threads copy keys, and OpenSSL 3 lets threads sign and verify
/// with one key at once, each with its own context.
class ed25519_key {
public:
  /// A fresh key pair from OpenSSL's CSPRNG. Throws std::runtime_error if
  /// OpenSSL fails.
  static ed25519_key generate();

  /// The key pair in a PKCS#8 PEM ("BEGIN PRIVATE KEY", unencrypted), or
  /// nothing if `pem` is not one or holds another kind of key.
  static std::optional<ed25519_key> from_private_pem(std::string_view pem);

  /// The key pair made from a 32-byte seed (RFC 8032's "secret key"), or
  /// nothing if `seed32` is not 32 bytes.
  static std::optional<ed25519_key> from_private_raw(std::string_view seed32);

  /// A public key from its 32 bytes, or nothing if `raw32` is not 32 bytes.
  static std::optional<ed25519_key> from_public_raw(std::string_view raw32);

  /// The key pair as an unencrypted PKCS#8 PEM. Throws std::logic_error for
  /// a public key alone.
  std::string private_pem() const;

  /// The public key's 32 bytes.
  std::string public_raw() const;

  /// Whether this holds the private half (and so can sign).
  bool has_private() const {
    return has_private_;
  }

  /// The 64-byte Ed25519 signature of `data`. Throws std::logic_error for a
  /// public key alone, std::runtime_error if OpenSSL fails.
  std::string sign(std::string_view data) const;

  /// Whether `signature` is this key's signature of `data`; false for a
  /// signature that is not 64 bytes.
  bool verify(std::string_view data, std::string_view signature) const;

private:
  ed25519_key(std::shared_ptr<EVP_PKEY> key, bool has_private)
    : key_(std::move(key)), has_private_(has_private) {
  }

  std::shared_ptr<EVP_PKEY> key_;
  bool has_private_;
};

} // namespace tenantd::crypto
