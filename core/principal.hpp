#pragma once

// Who is asking: resolved once per request by http/auth from the request's
// credentials, and carried in every message that reads or changes tenant
// data, so that the actors check it themselves.
//
// A tenant's credentials (its users' access tokens, its API keys) are
// bound to that tenant: http/ reads which tenant from the credential, and
// only that tenant's actor, which holds its users and keys, says whether
// the credential is still good and what its holder may do.

#include <cstdint>
#include <string>
#include <string_view>

namespace tenantd {

enum class principal_kind : uint8_t {
  /// No credentials: may use the seed's routes of an `open` tenant.
  anonymous,
  /// The admin token: may read and change every tenant.
  platform_admin,
  /// A tenant's user, by an access token (subject = user id).
  user,
  /// A tenant's API key: presented itself (key_digest set, subject empty)
  /// or through an access token it obtained (subject = key id).
  api_key,
};

/// What a tenant's user or key may do in its own tenant.
enum class tenant_role : uint8_t {
  /// Sessions and chats; read itself.
  member,
  /// A member's rights, plus its tenant's settings (not limits or status),
  /// users, keys and audit trail.
  admin,
};

struct principal {
  principal_kind kind = principal_kind::anonymous;
  /// The tenant whose credential it is (user and api_key).
  std::string tenant;
  /// The user's or key's id.
  std::string subject;
  /// An API key presented as is: the hex HMAC-SHA-256 of the key under the
  /// service's key secret, which the tenant actor looks up.
  std::string key_digest;
  /// The role an access token claims; the tenant actor uses its holder's
  /// current role.
  tenant_role role = tenant_role::member;
  /// The access token's id (jti), or empty.
  std::string token_id;
  /// Where the request came from, for the audit trail (not part of who it
  /// is): its request id and the client's address.
  std::string request_id;
  std::string source;

  static principal anonymous() {
    return {};
  }
  static principal platform_admin() {
    principal p;
    p.kind = principal_kind::platform_admin;
    return p;
  }

  /// Whether it may create, read, change and archive tenants.
  bool may_administer_tenants() const {
    return kind == principal_kind::platform_admin;
  }

  /// Whether it is a credential of some tenant (user or API key).
  bool of_a_tenant() const {
    return kind == principal_kind::user || kind == principal_kind::api_key;
  }

  friend bool operator==(const principal& x, const principal& y) {
    return x.kind == y.kind && x.tenant == y.tenant && x.subject == y.subject
           && x.key_digest == y.key_digest && x.role == y.role
           && x.token_id == y.token_id;
  }
};

/// "anonymous", "platform_admin", "user" or "api_key", for logs.
std::string_view to_string(principal_kind x);

/// "member" or "admin".
std::string_view to_string(tenant_role x);

/// Parses the names to_string gives; false for anything else.
bool from_string(std::string_view s, tenant_role& out);

} // namespace tenantd
