#include "crypto/digest.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/sodium.hpp"

namespace tenantd::crypto {

namespace {

// OpenSSL wants a pointer even for no bytes; an empty string_view may hold
// a null one.
const unsigned char* bytes_of(std::string_view s) {
  static const unsigned char none = 0;
  return s.empty() ? &none : reinterpret_cast<const unsigned char*>(s.data());
}

} // namespace

digest sha256(std::string_view data) {
  digest out{};
  unsigned int size = 0;
  if (EVP_Digest(bytes_of(data), data.size(), out.data(), &size, EVP_sha256(),
                 nullptr)
        != 1
      || size != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

digest hmac_sha256(std::string_view key, std::string_view data) {
  // libsodium's HMAC-SHA-256 (any key length): about 0.9 us for an API
  // key against OpenSSL's one-shot HMAC()'s 1.4 us, which fetches its
  // digest on every call; it runs on every request with a key.
  init_sodium();
  digest out{};
  crypto_auth_hmacsha256_state state;
  if (crypto_auth_hmacsha256_init(&state, bytes_of(key), key.size()) != 0
      || crypto_auth_hmacsha256_update(&state, bytes_of(data), data.size()) != 0
      || crypto_auth_hmacsha256_final(&state, out.data()) != 0)
    throw std::runtime_error("HMAC-SHA-256 failed");
  sodium_memzero(&state, sizeof state);
  return out;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(bytes_of(a), bytes_of(b), a.size()) == 0;
}

std::string to_hex(const digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex(2 * d.size(), '0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 0xF];
  }
  return hex;
}

std::string to_bytes(const digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

} // namespace tenantd::crypto
