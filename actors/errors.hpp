#pragma once

// The domain's error codes (core/errors.hpp) as CAF errors: actors answer
// with these; http/ reads them back. Registered with CAF as the error
// category "tenantd" (register_actor_types).

#include <cstdint>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "core/errors.hpp"
#include "core/records.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

constexpr caf::atom_value errc_category = caf::atom("tenantd");

inline caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), errc_category};
}

/// An invalid_config error carrying the problems (a
/// std::vector<config_error> in its context) for the client.
caf::error make_error(std::vector<config_error> problems);

/// The problems an invalid_config error carries; empty if none.
std::vector<config_error> config_errors_of(const caf::error& e);

/// An error `x` carrying the seconds to wait before asking again
/// (login_throttled, upstream_circuit_open).
caf::error make_wait_error(errc x, uint32_t seconds);

/// The seconds an error made by make_wait_error says to wait (at least 1;
/// 1 if it says none).
uint32_t wait_of(const caf::error& e);

/// What a client request to a tenant in `status` gets: no error for an
/// active one, tenant_suspended, or unknown_tenant for an archived one.
caf::error refusal_for(tenant_status status);

/// True if `e` carries the domain code `x`.
inline bool is(const caf::error& e, errc x) {
  return e.category() == errc_category && e.code() == static_cast<uint8_t>(x);
}

} // namespace tenantd
