#pragma once

// Access tokens: JWTs in the RFC 9068 profile ("typ": "at+jwt"), signed
// with EdDSA (Ed25519) by the service's current signing key, verified as
// RFC 8725 asks:
// - the algorithm is the key's, named by "kid", never the header's alone
//   (a header claiming "none" or any HMAC is not one of ours);
// - "iss", "aud" and "typ" must be this service's; "exp" and "nbf" are
//   checked with a leeway of at most a minute;
// - verified tokens are cached, bounded, until they expire, so a request
//   with a known token costs a lookup and not a signature check.
// A token says who its holder was when it was issued; the holder's tenant
// actor says on every request whether that user or key still exists, is
// enabled and what its role is now, so deleting or disabling a user or
// revoking a key refuses its tokens at once. POST /auth/revoke refuses one
// token by its "jti".
//
// Thread-safe: every I/O thread verifies; the signing keys are a snapshot
// replaced whole on rotation.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/object.hpp>

#include "core/principal.hpp"
#include "crypto/keyring.hpp"

namespace tenantd::http {

struct token_settings {
  /// "iss" of every token, and the issuer of the OpenID configuration.
  std::string issuer = "http://localhost:8001";
  /// "aud" of every token; a token for another audience is refused.
  std::string audience = "tenantd";
  /// How long a token is valid (ACCESS_TOKEN_TTL).
  std::chrono::seconds lifetime{900};
  /// Clock skew allowed on "exp" and "nbf" (RFC 8725 leaves it to us; at
  /// most a minute).
  std::chrono::seconds leeway{60};
  /// Verified tokens kept (TOKEN_CACHE_ENTRIES): about 1 KiB each.
  std::size_t cache_entries = 20'000;
};

/// Why a token was refused, for the audit trail and tests (the client gets
/// 401 invalid_token whatever it was).
enum class token_refusal {
  malformed,
  wrong_type,
  unknown_key,
  bad_signature,
  wrong_issuer,
  wrong_audience,
  expired,
  not_yet_valid,
  bad_claims,
  revoked,
};

std::string_view to_string(token_refusal x);

class token_authority {
public:
  token_authority(crypto::keyring keys, token_settings settings);

  const token_settings& settings() const {
    return settings_;
  }

  struct issued {
    std::string token;
    int64_t expires_in = 0;
  };

  /// A new token for `who` (a user or an API key of a tenant, resolved by
  /// its tenant actor) at `now` (Unix seconds).
  issued issue(const principal& who, int64_t now) const;

  /// The principal `token` names, or why it is refused, at `now` (Unix
  /// seconds).
  struct verdict {
    std::optional<principal> who;
    token_refusal why = token_refusal::malformed;
  };
  verdict verify(std::string_view token, int64_t now);

  /// Refuses the token with id `jti` (valid until `exp`) from now on.
  void revoke(const std::string& jti, int64_t exp);

  /// {"keys":[...]}: the public keys of every token that may still be
  /// valid at `now_ms` (the current key first).
  boost::json::object jwks(int64_t now_ms) const;

  /// Makes a new current key (old ones stay in the JWKS until their tokens
  /// expire); returns its kid. Blocks on disk: call off the I/O threads.
  /// Throws std::runtime_error if the keys cannot be saved.
  std::string rotate(int64_t now_ms);

private:
  struct snapshot {
    /// The current key first.
    std::vector<crypto::signing_key> all;
  };

  std::shared_ptr<const snapshot> keys() const;
  void publish();
  /// The longest a token may be valid, leeway included.
  int64_t max_token_ms() const;
  /// Whether tokens signed by `k` may still be valid at `now_ms`.
  bool usable(const crypto::signing_key& k, int64_t now_ms) const;

  token_settings settings_;
  /// The keyring itself: only rotate() touches it, under rotate_mutex_.
  std::mutex rotate_mutex_;
  crypto::keyring ring_;
  std::shared_ptr<const snapshot> keys_;

  struct cached {
    principal who;
    int64_t exp = 0;
  };
  std::mutex cache_mutex_;
  std::unordered_map<std::string, cached> cache_;
  /// Revoked jti -> exp.
  std::unordered_map<std::string, int64_t> revoked_;
};

} // namespace tenantd::http
