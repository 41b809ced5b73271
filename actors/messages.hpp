#pragma once

// The messages of the actor interfaces (interfaces.hpp): one named struct
// per request, so that a request cannot be sent with its fields swapped or
// to the wrong handler, and the answers. Every request that reads or
// changes tenant data carries the principal asking. Their inspect
// overloads are in type_ids.hpp.

#include <cstdint>
#include <string>
#include <vector>

#include "core/principal.hpp"
#include "core/records.hpp"
#include "core/session_id.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

// -- to the registry ----------------------------------------------------------

/// The ids of the tenants that accept sessions. GET / reads the registry's
/// published list (active_tenants_view) instead; this ask is for tests and
/// the ask benchmark.
struct list_active_tenants {
  principal who;
};

/// A page of the tenants of any status (GET /tenants).
struct list_tenants {
  uint64_t offset = 0;
  uint64_t limit = 0;
  principal who;
};

/// Where tenant `tenant` is served: the directory lookup before a request
/// goes straight to the tenant's actor.
struct find_tenant {
  std::string tenant;
  principal who;
};

// -- to the registry, which sends them on to the store ------------------------

struct create_tenant {
  tenant_config config;
  principal who;
};

/// A JSON merge patch (RFC 7396, as JSON text) to a tenant's config.
struct update_tenant {
  std::string tenant;
  std::string patch;
  principal who;
};

struct set_tenant_status {
  std::string tenant;
  tenant_status status = tenant_status::active;
  principal who;
};

struct read_tenant {
  std::string tenant;
  principal who;
};

// -- to a tenant actor --------------------------------------------------------

struct open_session {
  std::string tenant;
  principal who;
};

struct chat_request {
  std::string tenant;
  /// A session id the client sent that is no UUID is session_id::nil():
  /// never issued, so unknown, but only after the tenant checks.
  session_id session;
  std::string message;
  principal who;
};

/// From the registry: the tenant's config changed (already stored).
struct apply_config {
  tenant_config config;
};

/// From the registry: the tenant's status changed (already stored).
struct apply_status {
  tenant_status status = tenant_status::active;
};

// -- from a tenant actor to the registry --------------------------------------

/// The tenant had no request for TENANT_IDLE: the registry may passivate
/// it.
struct tenant_idle {
  std::string tenant;
};

// -- to the store -------------------------------------------------------------

struct load_tenant {
  std::string tenant;
};

/// A page of the tenant's unexpired sessions, from `after` (0: the first).
struct load_sessions {
  std::string tenant;
  int64_t after = 0;
};

struct store_session {
  std::string tenant;
  stored_session session;
};

struct find_session_owner {
  session_id session;
};

/// A tenant's session uses and counters since its last report.
struct record_uses {
  std::string tenant;
  std::vector<stored_session> sessions;
  uint64_t chats = 0;
  uint64_t rate_limited = 0;
};

struct expire_sessions {
  std::vector<session_id> sessions;
};

// -- answers ------------------------------------------------------------------

/// The answer to opening a session: its id and the tenant's public face.
struct session_grant {
  std::string session_id;
  std::string tenant_id;
  std::string name;
  std::string welcome;
};

/// The state of a tenant's chat window after a chat was admitted or refused,
/// in the terms of the IETF RateLimit header fields. `limit` 0 = unlimited.
struct rate_window {
  uint32_t limit = 0;
  uint32_t window_seconds = 0;
  uint32_t remaining = 0;
  /// Whole seconds until the window resets (at least 1 while limited).
  uint32_t reset_seconds = 0;
};

/// The answer to a chat: either a reply or, when `limited`, a refusal by the
/// tenant's rate limit (reply and model are empty then).
struct chat_result {
  bool limited = false;
  std::string reply;
  std::string model;
  rate_window window;
};

} // namespace tenantd
