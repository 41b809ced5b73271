#pragma once

// Password hashing with Argon2id (RFC 9106) through libsodium. A hash is the
// PHC string libsodium writes ("$argon2id$v=19$m=…,t=…,p=1$salt$hash"), so
// it carries its own salt and cost and can be checked against a new cost.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tenantd::crypto {

/// What one hash costs. The defaults are OWASP's minimum for Argon2id
/// (m=19 MiB, t=2, p=1; libsodium's parallelism is always 1).
struct password_cost {
  uint64_t iterations = 2;
  std::size_t memory_bytes = 19 * 1024 * 1024;
};

/// A fresh Argon2id hash of `password` (random salt) at `cost`. Throws
/// std::runtime_error on failure (out of memory, or a cost below libsodium's
/// minimum: 1 iteration, crypto_pwhash_MEMLIMIT_MIN bytes).
std::string hash_password(std::string_view password, const password_cost& cost);

/// Whether `password` is the one `stored_hash` was made from; false too for
/// a hash that is malformed or not Argon2id. Costs what the hash's own cost
/// says.
bool verify_password(std::string_view stored_hash, std::string_view password);

/// Whether `stored_hash` was made at another cost than `cost` (or is not an
/// Argon2id hash at all), so that it should be made again, at `cost`, the
/// next time the password is known (after a successful login).
bool needs_rehash(std::string_view stored_hash, const password_cost& cost);

/// A hash of a random password at `cost`, made once: verified against when
/// the user is unknown so that an unknown user costs as much as a wrong
/// password. Thread-safe; one hash per distinct cost.
const std::string& dummy_hash(const password_cost& cost);

} // namespace tenantd::crypto
