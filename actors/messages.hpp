#pragma once

// Data carried by the actor interfaces in actors.hpp.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "actors/session_id.hpp"
#include "actors/tenant_config.hpp"

namespace tenantd {

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

/// Where a tenant is in its lifecycle. Only an active tenant accepts
/// sessions and chats; a suspended one keeps its sessions for later; an
/// archived one is gone for good (its id stays taken).
enum class tenant_status : uint8_t { active, suspended, archived };

/// "active", "suspended" or "archived".
std::string_view to_string(tenant_status x);

/// Parses the names to_string gives; false for anything else.
bool from_string(std::string_view s, tenant_status& out);

/// Live figures about one tenant.
struct tenant_stats {
  /// Whether its actor is running (not passivated).
  bool active = false;
  /// Sessions not expired.
  uint64_t sessions = 0;
  /// Chats answered since the tenant was created.
  uint64_t chats = 0;
  /// Chats refused by the rate limit since the tenant was created.
  uint64_t rate_limited = 0;
};

/// A tenant as the admin API shows it. Times are Unix milliseconds.
struct tenant_record {
  tenant_config config;
  tenant_status status = tenant_status::active;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  tenant_stats stats;
};

/// One line of a tenant listing.
struct tenant_summary {
  std::string id;
  tenant_status status = tenant_status::active;
};

/// One page of the tenant listing, in creation order.
struct tenant_page {
  std::vector<tenant_summary> tenants;
  /// Tenants in the whole listing.
  uint64_t total = 0;
};

/// A session as the store keeps it. Times are Unix milliseconds.
struct stored_session {
  session_id id;
  int64_t created_at = 0;
  int64_t last_used = 0;
  /// last_used plus the tenant's session TTL: the store drops the session
  /// at this time even while its tenant is passivated.
  int64_t expires_at = 0;
};

/// Everything a tenant actor needs to (re)activate.
struct tenant_snapshot {
  tenant_config config;
  /// Its unexpired sessions.
  std::vector<stored_session> sessions;
  uint64_t chats = 0;
  uint64_t rate_limited = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_stats& x) {
  return f(caf::meta::type_name("tenant_stats"), x.active, x.sessions,
           x.chats, x.rate_limited);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_record& x) {
  return f(caf::meta::type_name("tenant_record"), x.config, x.status,
           x.created_at, x.updated_at, x.stats);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_summary& x) {
  return f(caf::meta::type_name("tenant_summary"), x.id, x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_page& x) {
  return f(caf::meta::type_name("tenant_page"), x.tenants, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_session& x) {
  return f(caf::meta::type_name("stored_session"), x.id, x.created_at,
           x.last_used, x.expires_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_snapshot& x) {
  return f(caf::meta::type_name("tenant_snapshot"), x.config, x.sessions,
           x.chats, x.rate_limited);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_grant& x) {
  return f(caf::meta::type_name("session_grant"), x.session_id, x.tenant_id,
           x.name, x.welcome);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rate_window& x) {
  return f(caf::meta::type_name("rate_window"), x.limit, x.window_seconds,
           x.remaining, x.reset_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_result& x) {
  return f(caf::meta::type_name("chat_result"), x.limited, x.reply, x.model,
           x.window);
}

} // namespace tenantd
