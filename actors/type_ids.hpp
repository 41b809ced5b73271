#pragma once

// How the actors' messages travel: an inspect overload for every type a
// message carries (core values and actors/messages.hpp), and the type-ID
// block with those types and the atoms, registered once per actor system by
// register_actor_types (actors/system.hpp).

#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

#include "actors/messages.hpp"
#include "core/records.hpp"
#include "core/session_id.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_id& x) {
  return f(caf::meta::type_name("session_id"), x.hi, x.lo);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_limits& x) {
  return f(caf::meta::type_name("tenant_limits"), x.chat_per_10s,
           x.session_ttl);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_config& x) {
  return f(caf::meta::type_name("tenant_config"), x.id, x.name, x.welcome,
           x.model, x.limits, x.reply);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, config_error& x) {
  return f(caf::meta::type_name("config_error"), x.field, x.problem);
}

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
  return f(caf::meta::type_name("tenant_snapshot"), x.config, x.status,
           x.sessions, x.chats, x.rate_limited);
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

/// Registers the message types and atoms below and the error category of
/// actors/errors.hpp. Call once on every actor_system_config before
/// creating the system.
void register_actor_types(caf::actor_system_config& cfg);

} // namespace tenantd

CAF_BEGIN_TYPE_ID_BLOCK(tenantd, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(tenantd, (tenantd::chat_result))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::config_error))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::rate_window))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::session_grant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::session_id))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::stored_session))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_config))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_limits))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_page))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_record))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_snapshot))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_stats))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_status))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_summary))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::config_error>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::session_id>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::stored_session>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::tenant_summary>))

  CAF_ADD_ATOM(tenantd, tenantd::atom, activate, "activate")
  CAF_ADD_ATOM(tenantd, tenantd::atom, chat, "chat")
  CAF_ADD_ATOM(tenantd, tenantd::atom, commit, "commit")
  CAF_ADD_ATOM(tenantd, tenantd::atom, configure, "configure")
  CAF_ADD_ATOM(tenantd, tenantd::atom, create, "create")
  CAF_ADD_ATOM(tenantd, tenantd::atom, expire, "expire")
  CAF_ADD_ATOM(tenantd, tenantd::atom, list, "list")
  CAF_ADD_ATOM(tenantd, tenantd::atom, load, "load")
  CAF_ADD_ATOM(tenantd, tenantd::atom, open, "open")
  CAF_ADD_ATOM(tenantd, tenantd::atom, owner, "owner")
  CAF_ADD_ATOM(tenantd, tenantd::atom, page, "page")
  CAF_ADD_ATOM(tenantd, tenantd::atom, passivate, "passivate")
  CAF_ADD_ATOM(tenantd, tenantd::atom, ready, "ready")
  CAF_ADD_ATOM(tenantd, tenantd::atom, stats, "stats")
  CAF_ADD_ATOM(tenantd, tenantd::atom, status, "status")
  CAF_ADD_ATOM(tenantd, tenantd::atom, sweep, "sweep")
  CAF_ADD_ATOM(tenantd, tenantd::atom, tenant, "tenant")
  CAF_ADD_ATOM(tenantd, tenantd::atom, touch, "touch")
  CAF_ADD_ATOM(tenantd, tenantd::atom, update, "update")

CAF_END_TYPE_ID_BLOCK(tenantd)
