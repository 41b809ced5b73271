#include "core/records.hpp"

namespace tenantd {

std::string_view to_string(tenant_status x) {
  switch (x) {
    case tenant_status::active: return "active";
    case tenant_status::suspended: return "suspended";
    case tenant_status::archived: return "archived";
  }
  return "unknown";
}

bool from_string(std::string_view s, tenant_status& out) {
  for (auto x : {tenant_status::active, tenant_status::suspended,
                 tenant_status::archived})
    if (s == to_string(x)) {
      out = x;
      return true;
    }
  return false;
}

} // namespace tenantd
