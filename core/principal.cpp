#include "core/principal.hpp"

namespace tenantd {

std::string_view to_string(principal_kind x) {
  switch (x) {
    case principal_kind::anonymous: return "anonymous";
    case principal_kind::platform_admin: return "platform_admin";
  }
  return "unknown";
}

} // namespace tenantd
