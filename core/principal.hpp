#pragma once

// Who is asking: resolved once per request by http/auth from the request's
// credentials, and carried in every message that reads or changes tenant
// data, so that the actors can check it themselves.
//
// Today a principal is anonymous or the platform admin; tenant users and
// API keys (bound to one tenant) come with identity and access.

#include <cstdint>
#include <string_view>

namespace tenantd {

enum class principal_kind : uint8_t {
  /// No credentials: may use the seed's routes (sessions, chats, the list).
  anonymous,
  /// The admin token: may read and change every tenant.
  platform_admin,
};

struct principal {
  principal_kind kind = principal_kind::anonymous;

  static principal anonymous() {
    return {principal_kind::anonymous};
  }
  static principal platform_admin() {
    return {principal_kind::platform_admin};
  }

  /// Whether it may create, read, change and archive tenants.
  bool may_administer_tenants() const {
    return kind == principal_kind::platform_admin;
  }

  friend bool operator==(const principal& x, const principal& y) {
    return x.kind == y.kind;
  }
};

/// "anonymous" or "platform_admin", for logs.
std::string_view to_string(principal_kind x);

} // namespace tenantd
