#pragma once

// The domain's error codes. Actors answer with these; http/ maps them to
// status codes. Registered with CAF as the error category "tenantd".

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "actors/tenant_config.hpp"

namespace tenantd {

enum class errc : uint8_t {
  /// No tenant with that id.
  unknown_tenant = 1,
  /// No live session with that id.
  unknown_session,
  /// The session exists but was issued to another tenant.
  foreign_session,
  /// A tenant with that id exists already.
  duplicate_tenant,
  /// A tenant config that cannot serve (bad id or reply template).
  invalid_config,
  /// The tenant's actor kept failing and is no longer restarted.
  tenant_unavailable,
  /// The tenant is suspended: no sessions or chats until it is resumed.
  tenant_suspended,
  /// The tenant is archived: it cannot be changed any more.
  tenant_archived,
  /// The store could not commit or read; nothing was acknowledged.
  storage_failed,
};

constexpr caf::atom_value errc_category = caf::atom("tenantd");

std::string to_string(errc x);

inline caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), errc_category};
}

/// An invalid_config error carrying the problems (a
/// std::vector<config_error> in its context) for the client.
caf::error make_error(std::vector<config_error> problems);

/// The problems an invalid_config error carries; empty if none.
std::vector<config_error> config_errors_of(const caf::error& e);

/// True if `e` carries the domain code `x`.
inline bool is(const caf::error& e, errc x) {
  return e.category() == errc_category && e.code() == static_cast<uint8_t>(x);
}

} // namespace tenantd
