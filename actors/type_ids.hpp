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
#include "core/identity.hpp"
#include "core/principal.hpp"
#include "core/records.hpp"
#include "core/session_id.hpp"
#include "core/tenant_config.hpp"

// What a message holds in clear that is secret (a password, a config
// patch that may set an upstream API key, an upstream plan's keys) is left
// out of its inspect: these messages travel only inside the process, and a
// to_string (CAF's unexpected-message report, a debug log) must never
// print a secret. Messages across processes will need sealed forms.

namespace tenantd {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_id& x) {
  return f(caf::meta::type_name("session_id"), x.hi, x.lo);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_limits& x) {
  return f(caf::meta::type_name("tenant_limits"), x.chat_per_10s,
           x.session_ttl, x.max_sessions, x.reply_bytes_per_s,
           x.tokens_per_minute);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_config& x) {
  return f(caf::meta::type_name("tenant_config"), x.id, x.name, x.welcome,
           x.model, x.limits, x.reply, x.auth);
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
           x.last_used, x.expires_at, x.owner);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_page& x) {
  return f(caf::meta::type_name("session_page"), x.sessions, x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_snapshot& x) {
  return f(caf::meta::type_name("tenant_snapshot"), x.config, x.status,
           x.sessions, x.chats, x.rate_limited, x.users, x.keys);
}


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_settings& x) {
  return f(caf::meta::type_name("read_settings"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_settings& x) {
  return f(caf::meta::type_name("change_settings"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_event& x) {
  return f(caf::meta::type_name("audit_event"), x.seq, x.id, x.at, x.tenant, x.actor_kind, x.actor_id, x.actor_tenant, x.action, x.target, x.outcome, x.request_id, x.source, x.changes, x.prev_hash, x.hash);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_filter& x) {
  return f(caf::meta::type_name("audit_filter"), x.tenant, x.every_chain, x.from, x.to, x.action, x.actor, x.before, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_page& x) {
  return f(caf::meta::type_name("audit_page"), x.events, x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_verdict& x) {
  return f(caf::meta::type_name("audit_verdict"), x.checked, x.intact, x.broken_seq, x.broken_id, x.problem);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_audit& x) {
  return f(caf::meta::type_name("read_audit"), x.tenant, x.filter, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verify_audit& x) {
  return f(caf::meta::type_name("verify_audit"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_audit& x) {
  return f(caf::meta::type_name("record_audit"), x.event);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, query_audit& x) {
  return f(caf::meta::type_name("query_audit"), x.filter);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, check_audit_chain& x) {
  return f(caf::meta::type_name("check_audit_chain"), x.tenant);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_user& x) {
  return f(caf::meta::type_name("stored_user"), x.id, x.email, x.email_key, x.password_hash, x.role, x.disabled, x.created_at, x.updated_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_record& x) {
  return f(caf::meta::type_name("user_record"), x.id, x.email, x.role, x.disabled, x.created_at, x.updated_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_api_key& x) {
  return f(caf::meta::type_name("stored_api_key"), x.id, x.name, x.role, x.prefix, x.digest, x.created_at, x.expires_at, x.last_used_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_key_record& x) {
  return f(caf::meta::type_name("api_key_record"), x.id, x.name, x.role, x.prefix, x.created_at, x.expires_at, x.last_used_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_page& x) {
  return f(caf::meta::type_name("user_page"), x.users, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_key_page& x) {
  return f(caf::meta::type_name("api_key_page"), x.keys, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_user& x) {
  return f(caf::meta::type_name("create_user"), x.tenant, x.email, x.role, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_users& x) {
  return f(caf::meta::type_name("list_users"), x.tenant, x.offset, x.limit, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_user& x) {
  return f(caf::meta::type_name("read_user"), x.tenant, x.user, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, update_user& x) {
  return f(caf::meta::type_name("update_user"), x.tenant, x.user, x.set_role, x.role, x.set_disabled, x.disabled, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_user& x) {
  return f(caf::meta::type_name("delete_user"), x.tenant, x.user, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_api_key& x) {
  return f(caf::meta::type_name("create_api_key"), x.tenant, x.name, x.role, x.expires_at, x.prefix, x.digest, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_api_keys& x) {
  return f(caf::meta::type_name("list_api_keys"), x.tenant, x.offset, x.limit, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, revoke_api_key& x) {
  return f(caf::meta::type_name("revoke_api_key"), x.tenant, x.key, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, login_request& x) {
  return f(caf::meta::type_name("login_request"), x.tenant, x.email, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, authenticate& x) {
  return f(caf::meta::type_name("authenticate"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, password_done& x) {
  return f(caf::meta::type_name("password_done"), x.job, x.hash, x.matched, x.expired);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_user& x) {
  return f(caf::meta::type_name("store_user"), x.tenant, x.user, x.fresh, x.audit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_user& x) {
  return f(caf::meta::type_name("remove_user"), x.tenant, x.user, x.audit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_api_key& x) {
  return f(caf::meta::type_name("store_api_key"), x.tenant, x.key, x.audit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_api_key& x) {
  return f(caf::meta::type_name("remove_api_key"), x.tenant, x.key, x.audit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key_use& x) {
  return f(caf::meta::type_name("key_use"), x.key, x.at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, principal& x) {
  return f(caf::meta::type_name("principal"), x.kind, x.tenant, x.subject,
           x.key_digest, x.role, x.token_id, x.request_id, x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_active_tenants& x) {
  return f(caf::meta::type_name("list_active_tenants"), x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_tenants& x) {
  return f(caf::meta::type_name("list_tenants"), x.offset, x.limit, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, find_tenant& x) {
  return f(caf::meta::type_name("find_tenant"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_tenant& x) {
  return f(caf::meta::type_name("create_tenant"), x.config, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, update_tenant& x) {
  return f(caf::meta::type_name("update_tenant"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_tenant_status& x) {
  return f(caf::meta::type_name("set_tenant_status"), x.tenant, x.status,
           x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_tenant& x) {
  return f(caf::meta::type_name("read_tenant"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, open_session& x) {
  return f(caf::meta::type_name("open_session"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_request& x) {
  return f(caf::meta::type_name("chat_request"), x.tenant, x.session, x.message,
           x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, apply_config& x) {
  return f(caf::meta::type_name("apply_config"), x.config);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, apply_status& x) {
  return f(caf::meta::type_name("apply_status"), x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tenant_idle& x) {
  return f(caf::meta::type_name("tenant_idle"), x.tenant);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_tenant& x) {
  return f(caf::meta::type_name("load_tenant"), x.tenant);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_sessions& x) {
  return f(caf::meta::type_name("load_sessions"), x.tenant, x.after);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_session& x) {
  return f(caf::meta::type_name("store_session"), x.tenant, x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, find_session_owner& x) {
  return f(caf::meta::type_name("find_session_owner"), x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_uses& x) {
  return f(caf::meta::type_name("record_uses"), x.tenant, x.sessions, x.chats,
           x.rate_limited, x.key_uses);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, expire_sessions& x) {
  return f(caf::meta::type_name("expire_sessions"), x.sessions);
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

// The turns are left out as a chat_result's plan is: local only, and a
// to_string of the message has no business with a conversation.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, completion_request& x) {
  return f(caf::meta::type_name("completion_request"), x.tenant, x.who,
           x.model, x.max_tokens, x.temperature);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_models& x) {
  return f(caf::meta::type_name("list_models"), x.tenant, x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_list& x) {
  return f(caf::meta::type_name("model_list"), x.models);
}

// The upstream plan (and its routes' keys) is left out: chat results only
// travel inside this process, and a key must never reach a to_string.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_result& x) {
  return f(caf::meta::type_name("chat_result"), x.limited, x.reply, x.model,
           x.window, x.tokens, x.tokens_limited, x.upstream);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_message& x) {
  return f(caf::meta::type_name("stored_message"), x.seq, x.at, x.role,
           x.content, x.tokens, x.estimated, x.model);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_page& x) {
  return f(caf::meta::type_name("message_page"), x.messages, x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_messages& x) {
  return f(caf::meta::type_name("store_messages"), x.tenant, x.session,
           x.messages);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_messages& x) {
  return f(caf::meta::type_name("load_messages"), x.tenant, x.session,
           x.after, x.limit, x.newest);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, clear_messages& x) {
  return f(caf::meta::type_name("clear_messages"), x.tenant, x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_messages& x) {
  return f(caf::meta::type_name("read_messages"), x.tenant, x.session, x.who,
           x.after, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_messages& x) {
  return f(caf::meta::type_name("delete_messages"), x.tenant, x.session,
           x.who);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_outcome& x) {
  return f(caf::meta::type_name("route_outcome"), x.route, x.failed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_completed& x) {
  return f(caf::meta::type_name("chat_completed"), x.tenant, x.session,
           x.generation, x.reservation, x.trials, x.routes, x.retries, x.failure,
           x.latency_ms, x.first_token_ms, x.message, x.reply, x.model, x.prompt_tokens,
           x.completion_tokens, x.estimated);
}

/// Registers the message types and atoms below and the error category of
/// actors/errors.hpp. Call once on every actor_system_config before
/// creating the system.
void register_actor_types(caf::actor_system_config& cfg);

} // namespace tenantd

CAF_BEGIN_TYPE_ID_BLOCK(tenantd, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(tenantd, (tenantd::apply_config))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::apply_status))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::chat_request))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::chat_result))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::chat_completed))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::route_outcome))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::route_outcome>))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::stored_message))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::stored_message>))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::message_page))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::store_messages))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::load_messages))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::clear_messages))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::read_messages))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::delete_messages))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::config_error))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::create_tenant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::expire_sessions))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::find_session_owner))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::find_tenant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::list_active_tenants))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::list_tenants))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::load_sessions))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::load_tenant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::open_session))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::principal))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::principal_kind))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::rate_window))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::read_tenant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::record_uses))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::session_grant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::session_id))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::session_page))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::set_tenant_status))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::store_session))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::stored_session))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_config))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_idle))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_limits))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_page))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_record))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_snapshot))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_stats))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_status))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_summary))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::update_tenant))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::stored_user))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::user_record))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::stored_api_key))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::api_key_record))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::user_page))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::api_key_page))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::create_user))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::list_users))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::read_user))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::update_user))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::delete_user))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::create_api_key))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::list_api_keys))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::revoke_api_key))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::login_request))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::authenticate))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::password_done))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::store_user))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::remove_user))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::store_api_key))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::remove_api_key))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::key_use))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::tenant_role))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::auth_mode))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::stored_user>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::stored_api_key>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::user_record>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::api_key_record>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::key_use>))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::audit_event))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::read_settings))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::change_settings))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::audit_filter))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::audit_page))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::audit_verdict))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::read_audit))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::verify_audit))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::record_audit))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::query_audit))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::check_audit_chain))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::audit_event>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::config_error>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::session_id>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::stored_session>))
  CAF_ADD_TYPE_ID(tenantd, (std::vector<tenantd::tenant_summary>))

  CAF_ADD_ATOM(tenantd, tenantd::atom, commit, "commit")
  CAF_ADD_ATOM(tenantd, tenantd::atom, passivate, "passivate")
  CAF_ADD_ATOM(tenantd, tenantd::atom, ready, "ready")
  CAF_ADD_ATOM(tenantd, tenantd::atom, stats, "stats")
  CAF_ADD_ATOM(tenantd, tenantd::atom, sweep, "sweep")
  CAF_ADD_ATOM(tenantd, tenantd::atom, tenant, "tenant")
  CAF_ADD_ATOM(tenantd, tenantd::atom, touch, "touch")
  CAF_ADD_ATOM(tenantd, tenantd::atom, idle, "idle")
  CAF_ADD_ATOM(tenantd, tenantd::atom, cleanup, "cleanup")
  CAF_ADD_ATOM(tenantd, tenantd::atom, pace, "pace")

  CAF_ADD_TYPE_ID(tenantd, (tenantd::completion_request))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::list_models))
  CAF_ADD_TYPE_ID(tenantd, (tenantd::model_list))
CAF_END_TYPE_ID_BLOCK(tenantd)
