#pragma once

// A tenant's users and API keys as plain values: what storage keeps, what
// the tenant actor holds, what the admin API shows (never a password hash
// or a key's secret), and the rules a new user or key must meet.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/principal.hpp"

namespace tenantd {

/// A tenant's user as stored. Times are Unix milliseconds.
struct stored_user {
  /// "usr_" and 22 base64url characters of CSPRNG bytes.
  std::string id;
  /// As given (shown), and its case-folded form, unique per tenant.
  std::string email;
  std::string email_key;
  /// Argon2id, libsodium's string form (algorithm, parameters, salt).
  std::string password_hash;
  tenant_role role = tenant_role::member;
  bool disabled = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

/// A user as the API shows it: no password hash.
struct user_record {
  std::string id;
  std::string email;
  tenant_role role = tenant_role::member;
  bool disabled = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

/// A tenant's API key as stored: its secret only as a keyed hash.
struct stored_api_key {
  /// "key_" and 22 base64url characters of CSPRNG bytes.
  std::string id;
  std::string name;
  tenant_role role = tenant_role::member;
  /// The start of the key, shown in lists (core/api_key.hpp).
  std::string prefix;
  /// Hex HMAC-SHA-256 of the whole key under the service's key secret.
  std::string digest;
  int64_t created_at = 0;
  /// 0: never.
  int64_t expires_at = 0;
  /// 0: never used.
  int64_t last_used_at = 0;
};

/// A key as the API shows it: metadata only.
struct api_key_record {
  std::string id;
  std::string name;
  tenant_role role = tenant_role::member;
  std::string prefix;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t last_used_at = 0;
};

user_record to_record(const stored_user& u);
api_key_record to_record(const stored_api_key& k);

/// A page of a tenant's users or keys, in creation order.
struct user_page {
  std::vector<user_record> users;
  uint64_t total = 0;
};
struct api_key_page {
  std::vector<api_key_record> keys;
  uint64_t total = 0;
};

/// What a new key's creator sees once: the record and the secret.
struct api_key_grant {
  api_key_record key;
  std::string secret;
};

/// Limits on what a user or key is made of (OWASP's password lengths: at
/// least 12, at most 128 characters, no composition rules).
inline constexpr std::size_t min_password_chars = 12;
inline constexpr std::size_t max_password_chars = 128;
inline constexpr std::size_t max_email_bytes = 254;
inline constexpr std::size_t max_key_name_chars = 100;

/// Why `password` is refused, or nothing. Counts code points, not bytes
/// (input is valid UTF-8: the JSON decoder sees to it).
std::optional<std::string> password_problem(std::string_view password);

/// Why `email` is refused (no '@' with text on both sides, too long,
/// spaces or control characters), or nothing.
std::optional<std::string> email_problem(std::string_view email);

/// The case-folded form by which emails are unique in a tenant
/// ("Ann@Example.COM" and "ann@example.com" are one user).
std::string email_key(std::string_view email);

/// Compares in a time that depends only on the length of `secret`, so that
/// timing does not tell a client how much of a guess was right.
bool same_secret(std::string_view given, std::string_view secret);

/// A new user or key id: `prefix` and 22 base64url characters of 16
/// CSPRNG bytes.
std::string make_identity_id(std::string_view prefix);

} // namespace tenantd
