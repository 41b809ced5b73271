#include "core/api_key.hpp"

#include <cstdint>
#include <stdexcept>

#include <boost/crc.hpp>

#include "core/random.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

namespace {

constexpr std::string_view base62 =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t secret_size = 30;
constexpr std::size_t checksum_size = 6; // 62^6 > 2^32
constexpr std::size_t display_secret_size = 4;

bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
         || (c >= 'a' && c <= 'z');
}

// CRC32 of `text` in base62, most significant digit first, zero-padded.
std::string checksum(std::string_view text) {
  boost::crc_32_type crc;
  crc.process_bytes(text.data(), text.size());
  uint32_t n = crc.checksum();
  std::string digits(checksum_size, base62[0]);
  for (std::size_t i = checksum_size; i-- > 0;) {
    digits[i] = base62[n % 62];
    n /= 62;
  }
  return digits;
}

std::string random_base62(std::size_t size) {
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    unsigned char bytes[32];
    secure_random(bytes, sizeof bytes);
    // 248 = 4 * 62: bytes at or above it are dropped so that every
    // character is equally likely.
    for (unsigned char b : bytes)
      if (b < 248 && out.size() < size)
        out += base62[b % 62];
  }
  return out;
}

} // namespace

std::string make_api_key(std::string_view tenant) {
  if (!is_valid_tenant_id(tenant))
    throw std::invalid_argument("not a tenant id: " + std::string{tenant});
  auto key = std::string{api_key_prefix} + std::string{tenant} + "_"
             + random_base62(secret_size);
  return key + checksum(key);
}

std::optional<api_key_parts> parse_api_key(std::string_view key) {
  constexpr auto tail_size = secret_size + checksum_size;
  if (key.substr(0, api_key_prefix.size()) != api_key_prefix
      || key.size() < api_key_prefix.size() + 1 + 1 + tail_size)
    return std::nullopt;
  auto separator = key.size() - tail_size - 1;
  auto tenant = key.substr(api_key_prefix.size(),
                           separator - api_key_prefix.size());
  auto tail = key.substr(separator + 1);
  if (key[separator] != '_' || !is_valid_tenant_id(tenant))
    return std::nullopt;
  for (char c : tail)
    if (!is_base62(c))
      return std::nullopt;
  if (checksum(key.substr(0, key.size() - checksum_size))
      != tail.substr(secret_size))
    return std::nullopt;
  return api_key_parts{tenant, tail};
}

std::string api_key_display_prefix(std::string_view key) {
  auto parts = parse_api_key(key);
  if (!parts)
    return {};
  return std::string{key.substr(0, key.size() - parts->secret_and_checksum.size()
                                     + display_secret_size)};
}

} // namespace tenantd
