#include "core/principal.hpp"

namespace tenantd {

std::string_view to_string(principal_kind x) {
  switch (x) {
    case principal_kind::anonymous: return "anonymous";
    case principal_kind::platform_admin: return "platform_admin";
    case principal_kind::user: return "user";
    case principal_kind::api_key: return "api_key";
  }
  return "unknown";
}

std::string_view to_string(tenant_role x) {
  return x == tenant_role::admin ? "admin" : "member";
}

bool from_string(std::string_view s, tenant_role& out) {
  if (s == "member")
    out = tenant_role::member;
  else if (s == "admin")
    out = tenant_role::admin;
  else
    return false;
  return true;
}

} // namespace tenantd
