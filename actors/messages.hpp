#pragma once

// The messages of the actor interfaces (interfaces.hpp): one named struct
// per request, so that a request cannot be sent with its fields swapped or
// to the wrong handler, and the answers. Every request that reads or
// changes tenant data carries the principal asking. Their inspect
// overloads are in type_ids.hpp.

#include <cstdint>
#include <string>
#include <vector>

#include "core/audit.hpp"
#include "core/identity.hpp"
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

// Users and API keys: the tenant actor holds them, checks who may see and
// change them, and has the store keep them.

struct create_user {
  std::string tenant;
  std::string email;
  /// Hashed on the password pool; never stored or sent on as is.
  std::string password;
  tenant_role role = tenant_role::member;
  principal who;
};

struct list_users {
  std::string tenant;
  uint64_t offset = 0;
  uint64_t limit = 0;
  principal who;
};

struct read_user {
  std::string tenant;
  std::string user;
  principal who;
};

/// Changes what is set: the role, the password (if not empty), disabled.
struct update_user {
  std::string tenant;
  std::string user;
  bool set_role = false;
  tenant_role role = tenant_role::member;
  std::string password;
  bool set_disabled = false;
  bool disabled = false;
  principal who;
};

struct delete_user {
  std::string tenant;
  std::string user;
  principal who;
};

/// A new key, made by http/ (which shows its secret once): only its
/// display prefix and keyed digest reach the actor.
struct create_api_key {
  std::string tenant;
  std::string name;
  tenant_role role = tenant_role::member;
  int64_t expires_at = 0;
  std::string prefix;
  std::string digest;
  principal who;
};

struct list_api_keys {
  std::string tenant;
  uint64_t offset = 0;
  uint64_t limit = 0;
  principal who;
};

struct revoke_api_key {
  std::string tenant;
  std::string key;
  principal who;
};

/// The password grant: a user's email and password.
struct login_request {
  std::string tenant;
  std::string email;
  std::string password;
  /// Who sends it (anonymous: the password is the credential).
  principal who;
};

/// Resolves `who` (an API key as presented, or an access token's subject)
/// to the principal it is now, with its current role.
struct authenticate {
  std::string tenant;
  principal who;
};

/// From the password pool to the tenant actor: a hash or a check is done.
struct password_done {
  uint64_t job = 0;
  /// A new hash (for a new password, or a rehash at the current cost).
  std::string hash;
  /// The password matched (checks only).
  bool matched = false;
  /// It waited on the pool longer than anyone waits for its answer, and
  /// was dropped unrun.
  bool expired = false;
};

/// A tenant's settings, for its own admins.
struct read_settings {
  std::string tenant;
  principal who;
};

/// A merge patch (JSON text) of a tenant's settings by its own admins.
struct change_settings {
  std::string tenant;
  std::string patch;
  principal who;
};

/// A page of a tenant's audit trail (GET /tenants/{id}/audit), or of every
/// chain (GET /audit: `filter.tenant` unset, to the registry).
struct read_audit {
  std::string tenant;
  audit_filter filter;
  principal who;
};

/// Recomputes a tenant's audit chain (GET /tenants/{id}/audit/verify).
struct verify_audit {
  std::string tenant;
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

// Each identity write carries its audit event (action empty: none),
// appended in the same group commit as the change it records.

/// A user to insert (fresh) or replace.
struct store_user {
  std::string tenant;
  stored_user user;
  bool fresh = false;
  audit_event audit;
};

struct remove_user {
  std::string tenant;
  std::string user;
  audit_event audit;
};

struct store_api_key {
  std::string tenant;
  stored_api_key key;
  audit_event audit;
};

struct remove_api_key {
  std::string tenant;
  std::string key;
  audit_event audit;
};

/// An event with no change of its own to go with (a login, a refused
/// token, a cross-tenant attempt). Not acknowledged.
struct record_audit {
  audit_event event;
};

struct query_audit {
  audit_filter filter;
};

struct check_audit_chain {
  std::string tenant;
};

/// When an API key was last used.
struct key_use {
  std::string key;
  int64_t at = 0;
};

struct find_session_owner {
  session_id session;
};

/// Turns of a session's conversation to keep (store side).
struct store_messages {
  std::string tenant;
  session_id session;
  std::vector<stored_message> messages;
};

/// A page of a session's conversation from the store: after seq `after`,
/// or with `newest`, the newest `limit` turns.
struct load_messages {
  std::string tenant;
  session_id session;
  int64_t after = 0;
  uint32_t limit = 100;
  bool newest = false;
};

/// Deletes a session's conversation in the store.
struct clear_messages {
  std::string tenant;
  session_id session;
};

/// A client reading a session's conversation: up to `limit` turns after
/// seq `after`, oldest first.
struct read_messages {
  std::string tenant;
  session_id session;
  principal who;
  int64_t after = 0;
  uint32_t limit = 100;
};

/// A client clearing a session's conversation.
struct delete_messages {
  std::string tenant;
  session_id session;
  principal who;
};

/// A tenant's session uses and counters since its last report.
struct record_uses {
  std::string tenant;
  std::vector<stored_session> sessions;
  uint64_t chats = 0;
  uint64_t rate_limited = 0;
  std::vector<key_use> key_uses;
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

/// One message of a conversation as an upstream gets it.
struct chat_turn {
  /// "system", "user" or "assistant".
  std::string role;
  std::string content;
};

/// What a tenant's actor decided for a chat its AI route answers: the
/// routes to try in order (the first, then the fallbacks, keys included),
/// and what to send each. The HTTP layer makes the calls and reports the
/// outcome back (chat_completed).
struct upstream_plan {
  std::vector<ai_upstream> routes;
  /// Each route's number in the config (0: ai itself, i + 1:
  /// ai.fallbacks[i]): routes whose breaker is open are left out.
  std::vector<uint32_t> route_numbers;
  /// The config the routes were taken from (its breakers), and the
  /// tokens reserved for the call under limits.tokens_per_minute (0:
  /// none), both given back in chat_completed.
  uint64_t generation = 0;
  uint64_t reservation = 0;
  /// The routes whose half-open breaker let this call be their one trial.
  std::vector<uint32_t> trials;
  /// The system prompt (if any), the history kept, then the user's turn.
  std::vector<chat_turn> messages;
  /// Negative: not sent (the upstream's default).
  double temperature = -1;
  uint32_t max_tokens = 0;
  uint32_t timeout_ms = 0;
  uint32_t connect_timeout_ms = 0;
  /// MAX_REPLY_BYTES: a longer reply (as sent, JSON-escaped) is refused.
  uint64_t max_reply_bytes = 0;
};

/// The answer to a chat: either a reply or, when `limited`, a refusal by the
/// tenant's rate limit (reply and model are empty then), or, when
/// `upstream`, the plan of the upstream call that will answer it.
struct chat_result {
  bool limited = false;
  std::string reply;
  std::string model;
  rate_window window;
  /// limits.tokens_per_minute's window (limit 0: no such limit), and
  /// whether it is what refused the chat (`limited` is set too).
  rate_window tokens;
  bool tokens_limited = false;
  bool upstream = false;
  upstream_plan plan;
};

/// POST /v1/chat/completions: a completion asked with one of the tenant's
/// credentials, its conversation the client's own (no session, no
/// history kept).
struct completion_request {
  std::string tenant;
  principal who;
  /// One of the models the tenant's routes serve (list_models).
  std::string model;
  /// The client's turns, system prompts included.
  std::vector<chat_turn> messages;
  /// 0: the tenant's ai.max_tokens; else at most that.
  uint32_t max_tokens = 0;
  /// Negative: the tenant's ai.temperature.
  double temperature = -1;
};

/// GET /v1/models: the models a tenant's credential may ask for.
struct list_models {
  std::string tenant;
  principal who;
};

struct model_list {
  /// Distinct, in the order of the routes (ai.model, then the fallbacks');
  /// a mock tenant's is its `model`.
  std::vector<std::string> models;
};

/// How one route of a plan fared: `failed` if it gave no answer, timed
/// out or answered 5xx (what counts towards its breaker).
struct route_outcome {
  uint32_t route = 0;
  bool failed = false;
};

/// How a planned upstream chat ended, answered or not: the routes tried
/// (for their breakers), the tokens used (settling the reservation), and
/// for an answer the exchange, kept in the session's history.
struct chat_completed {
  std::string tenant;
  session_id session;
  uint64_t generation = 0;
  uint64_t reservation = 0;
  std::vector<uint32_t> trials;
  /// The routes tried, in order (an untried trial is given back).
  std::vector<route_outcome> routes;
  /// Retries made, over all routes.
  uint32_t retries = 0;
  /// Empty if answered; else what failed last ("timeout", "unreachable",
  /// "rate_limited", "status", "bad_answer"; a stream's "truncated",
  /// "token_limit", "cancelled").
  std::string failure;
  /// The call's whole time, and its time to the first piece of a
  /// streamed reply (else the whole time).
  uint32_t latency_ms = 0;
  uint32_t first_token_ms = 0;
  /// Answered: the user's turn as sent, the assistant's answer, the model
  /// that gave it and the tokens (estimated when the upstream said none).
  std::string message;
  std::string reply;
  std::string model;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  bool estimated = false;
};

} // namespace tenantd
