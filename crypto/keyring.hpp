#pragma once

// The service's token signing keys: one current key that signs, and the
// keys it replaced, kept for verifying until every token they signed has
// expired. They live in one file, `<dir>/keys.json` (mode 0600, in a
// directory of mode 0700):
//
//   {"keys": [{"kid": "…", "created_ms": …, "retired_ms": 0,
//              "private_pem": "-----BEGIN PRIVATE KEY-----…"}, …]}
//
// One file rather than a file per key so that a rotation (a new current key
// and the old one retired) is one atomic rename: a crash leaves the old set
// or the new one, never two current keys or a key without its dates.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/ed25519.hpp"

namespace tenantd::crypto {

struct signing_key {
  /// The RFC 7638 thumbprint of the public key (jwk_thumbprint): the JWS
  /// header's "kid" and the JWK's.
  std::string kid;
  ed25519_key key;
  /// When the key was made, Unix milliseconds.
  int64_t created_ms;
  /// When a newer key replaced it, Unix milliseconds; 0 for the current key.
  int64_t retired_ms = 0;
};

/// The signing keys in memory and on disk. Not thread-safe by itself:
/// callers publish copies (cheap: keys are shared) as snapshots.
class keyring {
public:
  /// The file inside the keyring's directory.
  static constexpr const char* file_name = "keys.json";

  /// Loads the keys in `dir` (created with mode 0700 if missing), creating
  /// and saving a first key, made at `now_ms`, if there is no key file.
  /// Throws std::runtime_error naming the file if it cannot be read or
  /// written, is readable or writable by group or others, or is not a
  /// keyring (bad JSON, a bad key, a kid that is not its key's thumbprint,
  /// not exactly one current key).
  static keyring open(std::string dir, int64_t now_ms);

  /// The key that signs new tokens.
  const signing_key& current() const;

  /// Every key whose tokens may still be valid at `now_ms` given the longest
  /// token lifetime `max_token_ms`: the current one (first) plus the retired
  /// ones with retired_ms + max_token_ms > now_ms. The JWKS serves these.
  std::vector<const signing_key*> verifying(int64_t now_ms,
                                            int64_t max_token_ms) const;

  /// The key named `kid`, retired or not, or nullptr.
  const signing_key* find(std::string_view kid) const;

  /// Makes a new current key, retires the previous one at `now_ms`, drops
  /// the retired keys no token can need any more (retired_ms + max_token_ms
  /// <= now_ms) and saves the set durably (temporary file, fsync, rename,
  /// fsync of the directory). Returns the new kid. Throws
  /// std::runtime_error naming the file if it cannot be written; the
  /// keyring is then unchanged.
  std::string rotate(int64_t now_ms, int64_t max_token_ms);

  /// Every key, the current one first, then the retired ones, the most
  /// recently retired first.
  const std::vector<signing_key>& keys() const {
    return keys_;
  }

private:
  keyring(std::string dir, std::vector<signing_key> keys)
    : dir_(std::move(dir)), keys_(std::move(keys)) {
  }

  std::string dir_;
  std::vector<signing_key> keys_;
};

} // namespace tenantd::crypto
