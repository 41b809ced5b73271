#pragma once

// Every actor interface of the service, and the type-ID block and atoms its
// messages use. http/ and tests talk to actors only through these handles.

#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "actors/session_id.hpp"
#include "actors/tenant_config.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(tenantd, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(tenantd, (tenantd::chat_result))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::rate_window))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::session_grant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::session_id))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_config))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_limits))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<std::string>))

  CAF_ADD_ATOM(tenantd, tenantd::atom, chat, "chat")
  CAF_ADD_ATOM(tenantd, tenantd::atom, list, "list")
  CAF_ADD_ATOM(tenantd, tenantd::atom, open, "open")
  CAF_ADD_ATOM(tenantd, tenantd::atom, spawn, "spawn")
  CAF_ADD_ATOM(tenantd, tenantd::atom, tenant, "tenant")

CAF_END_TYPE_ID_BLOCK(tenantd)

namespace tenantd {

/// One tenant: alone owns its config, its sessions, its reply behaviour and
/// its rate-limit window. Reached only through the registry in production.
using tenant_actor = caf::typed_actor<
  // Registers the new session `id` (issued by the registry) and answers with
  // the grant the client sees.
  caf::replies_to<atom::open, session_id>::with<session_grant>,
  // Answers `message` in session `id` with the tenant's reply behaviour,
  // unless the tenant's chat window is full (chat_result::limited).
  // Fails with errc::unknown_session if the tenant does not know `id`.
  caf::replies_to<atom::chat, session_id, std::string>::with<chat_result>,
  // Returns the tenant's current config.
  caf::replies_to<atom::tenant>::with<tenant_config>>;

/// Owns the map tenant id -> tenant actor and the session directory (which
/// tenant issued which session id); routes every request by tenant id.
using registry_actor = caf::typed_actor<
  // Lists the tenant ids in the order they were added.
  caf::replies_to<atom::list>::with<std::vector<std::string>>,
  // Opens a session for tenant `tenant_id`.
  // Fails with errc::unknown_tenant or errc::tenant_unavailable.
  caf::replies_to<atom::open, std::string>::with<session_grant>,
  // Chats as (tenant_id, session_id, message); checks run in the order
  // tenant, session, rate limit. Fails with errc::unknown_tenant,
  // errc::unknown_session, errc::foreign_session or errc::tenant_unavailable.
  caf::replies_to<atom::chat, std::string, std::string,
                  std::string>::with<chat_result>,
  // Adds a tenant at runtime and spawns its actor at once.
  // Fails with errc::duplicate_tenant, or errc::invalid_config if its id or
  // reply template is invalid.
  caf::replies_to<atom::spawn, tenant_config>::with<caf::ok_atom>,
  // Returns the actor that currently serves `tenant_id` (for operators and
  // tests; a restarted tenant has a new handle). Fails with
  // errc::unknown_tenant or errc::tenant_unavailable.
  caf::replies_to<atom::tenant, std::string>::with<tenant_actor>>;

} // namespace tenantd
