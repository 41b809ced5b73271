#include "core/identity.hpp"

#include "core/random.hpp"
#include "core/text.hpp"

namespace tenantd {

namespace {

// Code points of valid UTF-8: every byte but continuation bytes.
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

} // namespace

user_record to_record(const stored_user& u) {
  return {u.id, u.email, u.role, u.disabled, u.created_at, u.updated_at};
}

api_key_record to_record(const stored_api_key& k) {
  return {k.id,         k.name,       k.role,        k.prefix,
          k.created_at, k.expires_at, k.last_used_at};
}

std::optional<std::string> password_problem(std::string_view password) {
  auto n = code_points(password);
  if (n < min_password_chars)
    return "must be at least " + std::to_string(min_password_chars)
           + " characters";
  if (n > max_password_chars)
    return "must be at most " + std::to_string(max_password_chars)
           + " characters";
  return std::nullopt;
}

std::optional<std::string> email_problem(std::string_view email) {
  if (email.size() > max_email_bytes)
    return "must be at most " + std::to_string(max_email_bytes) + " bytes";
  for (unsigned char c : email)
    if (c <= 0x20 || c == 0x7F)
      return "must not contain spaces or control characters";
  auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == email.size())
    return "must be an email address (local@domain)";
  return std::nullopt;
}

std::string email_key(std::string_view email) {
  return text::lower(email);
}

bool same_secret(std::string_view given, std::string_view secret) {
  bool same_length = given.size() == secret.size();
  // On a length mismatch the secret is compared with itself: the same work,
  // and the answer is false all the same.
  auto probe = same_length ? given : secret;
  unsigned char diff = same_length ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i)
    diff |= static_cast<unsigned char>(probe[i] ^ secret[i]);
  return diff == 0;
}

std::string make_identity_id(std::string_view prefix) {
  static constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char bytes[16];
  secure_random(bytes, sizeof bytes);
  std::string id{prefix};
  // 16 bytes = 128 bits: 21 full 6-bit groups and 2 bits in the 22nd.
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      id += alphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0)
    id += alphabet[(acc << (6 - bits)) & 0x3F];
  return id;
}

} // namespace tenantd
