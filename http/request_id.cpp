#include "http/request_id.hpp"

#include <algorithm>
#include <cstdint>

#include "actors/session_id.hpp"

namespace tenantd::http {

namespace {

bool is_sane(std::string_view id) {
  constexpr std::string_view extra = "-_.:@+/=";
  return !id.empty() && id.size() <= max_request_id_length
         && std::all_of(id.begin(), id.end(), [&](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                     || (c >= '0' && c <= '9')
                     || extra.find(c) != std::string_view::npos;
            });
}

} // namespace

std::string request_id(std::string_view given) {
  if (is_sane(given))
    return std::string{given};
  // Not a secret, but unguessable costs nothing here: secure_random is
  // buffered per thread.
  uint8_t bytes[16];
  secure_random(bytes, sizeof(bytes));
  constexpr char hex[] = "0123456789abcdef";
  std::string id(2 * sizeof(bytes), '0');
  for (std::size_t i = 0; i < sizeof(bytes); ++i) {
    id[2 * i] = hex[bytes[i] >> 4];
    id[2 * i + 1] = hex[bytes[i] & 0xF];
  }
  return id;
}

} // namespace tenantd::http
