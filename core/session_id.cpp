#include "core/session_id.hpp"

#include "core/random.hpp"

namespace tenantd {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

} // namespace

session_id session_id::generate() {
  session_id id;
  secure_random(&id.hi, sizeof(id.hi));
  secure_random(&id.lo, sizeof(id.lo));
  // RFC 9562 version 4: version nibble 0100, variant bits 10.
  id.hi = (id.hi & ~0xF000ull) | 0x4000ull;
  id.lo = (id.lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  return id;
}

std::optional<session_id> session_id::parse(std::string_view s) {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-'
      || s[23] != '-')
    return std::nullopt;
  session_id id;
  int nibbles = 0;
  for (char c : s) {
    if (c == '-')
      continue;
    auto v = hex_value(c);
    if (v < 0)
      return std::nullopt;
    auto& half = nibbles < 16 ? id.hi : id.lo;
    half = (half << 4) | static_cast<uint64_t>(v);
    ++nibbles;
  }
  if (nibbles != 32)
    return std::nullopt;
  return id;
}

std::string session_id::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23)
      ++pos;
    auto half = i < 16 ? hi : lo;
    auto shift = 60 - 4 * (i % 16);
    out[pos++] = digits[(half >> shift) & 0xF];
  }
  return out;
}

} // namespace tenantd
