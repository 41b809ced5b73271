#include "http/request_id.hpp"

#include <algorithm>

#include "core/random.hpp"

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
  return random_hex(16);
}

} // namespace tenantd::http
