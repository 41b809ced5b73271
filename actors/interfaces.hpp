#pragma once

// Every actor interface of the service, with the messages it takes
// (messages.hpp) and the failures each answers with (errc codes, carried as
// CAF errors: errors.hpp). http/ and the tests talk to actors only through
// these handles; this is the only header of actors/ that http/ includes.
//
// Three kinds of actor:
// - the registry is the directory: it keeps each tenant's lifecycle
//   status, answers where a tenant is served (activating its actor on
//   demand), passivates idle ones, and applies admin changes;
// - a tenant actor alone owns one tenant's config, sessions, reply
//   behaviour, rate window and counters while it is active. Client
//   requests go to it directly, with the handle the registry gave out; it
//   refuses them itself once the tenant is suspended, archived or being
//   passivated, so a stale handle never gives a wrong answer;
// - the store owns the storage and runs every blocking storage call on its
//   own thread, committing writes in groups.
//
// Every request between actors has a finite timeout (lifecycle_settings::
// internal_timeout): when it passes, the asker fails with
// caf::sec::request_timeout and goes on serving.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/type_ids.hpp"

namespace tenantd {

/// The tenant admin requests, shared by the registry (which checks the
/// principal and the tenant's status, then sends them on) and the store
/// (which applies them). Each answers with the tenant's record.
using tenant_admin_actor = caf::typed_actor<
  // Stores a new active tenant. Fails with errc::duplicate_tenant if the id
  // was ever used, errc::invalid_config for a bad id or reply template (with
  // the problem if the reply's worst case exceeds MAX_REPLY_BYTES),
  // errc::permission_denied unless the principal administers tenants, or
  // errc::storage_failed.
  caf::replies_to<create_tenant>::with<tenant_record>,
  // Applies the merge patch to the tenant's config and stores the result
  // if it is valid. Fails with errc::unknown_tenant, errc::tenant_archived,
  // errc::invalid_config carrying the problems (the id cannot change; the
  // reply's worst case must fit MAX_REPLY_BYTES), errc::permission_denied
  // or errc::storage_failed.
  caf::replies_to<update_tenant>::with<tenant_record>,
  // Sets the tenant's status; archiving also ends its sessions (no one's
  // from then on; the store deletes them a batch per turn). Fails
  // with errc::unknown_tenant, errc::tenant_archived for any change of an
  // archived tenant but archiving it again, errc::permission_denied or
  // errc::storage_failed.
  caf::replies_to<set_tenant_status>::with<tenant_record>,
  // Reads the tenant as stored (stats: stored counters, unexpired
  // sessions). Fails with errc::unknown_tenant or errc::permission_denied.
  caf::replies_to<read_tenant>::with<tenant_record>>;

/// Owns the storage. Runs detached (its own thread): every call may block
/// on disk. Writes are executed as they arrive inside one open transaction
/// and acknowledged only after the COMMIT that follows them, so a whole
/// burst of writes shares one fsync (group commit).
using store_actor = tenant_admin_actor::extend<
  // What a tenant actor needs to activate, with the first page of its
  // unexpired sessions. Fails with errc::unknown_tenant (archived
  // included) or errc::storage_failed.
  caf::replies_to<load_tenant>::with<tenant_snapshot>,
  // The next bounded page of the tenant's unexpired sessions (none for an
  // unknown tenant); the tenant asks for it after it took the previous
  // one, so other actors' requests are served between pages. Fails with
  // errc::storage_failed.
  caf::replies_to<load_sessions>::with<session_page>,
  // Stores a new session; answers once committed. Fails with
  // errc::unknown_tenant if the tenant is archived or unknown, or
  // errc::storage_failed.
  caf::replies_to<store_session>::with<caf::ok_atom>,
  // Inserts (fresh) or replaces a tenant's user; answers once committed.
  // Fails with errc::duplicate_email if a fresh user's email (or id) is
  // taken, or the tenant is unknown or archived; errc::storage_failed.
  caf::replies_to<store_user>::with<caf::ok_atom>,
  // Deletes a tenant's user; answers once committed. Fails with
  // errc::storage_failed.
  caf::replies_to<remove_user>::with<caf::ok_atom>,
  // Inserts a tenant's API key; answers once committed. Fails with
  // errc::unknown_tenant (unknown or archived, or the digest is taken) or
  // errc::storage_failed.
  caf::replies_to<store_api_key>::with<caf::ok_atom>,
  // Deletes (revokes) a tenant's API key; answers once committed. Fails
  // with errc::storage_failed.
  caf::replies_to<remove_api_key>::with<caf::ok_atom>,
  // Appends an event without a change of its own (a login, a refused
  // token) to its chain. Not acknowledged: committed with the next group.
  caf::reacts_to<record_audit>,
  // A page of audit events, newest first. Fails with errc::storage_failed.
  caf::replies_to<query_audit>::with<audit_page>,
  // Recomputes a tenant's audit chain. Fails with errc::storage_failed.
  caf::replies_to<check_audit_chain>::with<audit_verdict>,
  // Names the tenant holding the unexpired session, or "" for none. Fails
  // with errc::storage_failed.
  caf::replies_to<find_session_owner>::with<std::string>,
  // Appends turns to a session's conversation (nothing if the tenant no
  // longer holds the session). Not acknowledged: committed with the next
  // group.
  caf::reacts_to<store_messages>,
  // A page of a session's conversation (empty for a session not held).
  // Fails with errc::storage_failed.
  caf::replies_to<load_messages>::with<message_page>,
  // Deletes a session's conversation; answers once committed. Fails with
  // errc::storage_failed.
  caf::replies_to<clear_messages>::with<caf::ok_atom>,
  // Records a tenant's session uses, API key uses and counters. Not
  // acknowledged:
  // committed with the next group.
  caf::reacts_to<record_uses>,
  // Deletes expired sessions, a bounded batch per turn (atom::cleanup).
  // Not acknowledged.
  caf::reacts_to<expire_sessions>,
  // Answers once everything this sender sent before is committed. Fails
  // with errc::storage_failed.
  caf::replies_to<caf::flush_atom>::with<caf::ok_atom>,
  // Answers ok while storage works; fails with errc::storage_failed from a
  // failed write or COMMIT until a later group commits. For readiness.
  caf::replies_to<atom::ready>::with<caf::ok_atom>,
  // Internal: commits the open transaction (sent to itself).
  caf::reacts_to<atom::commit>,
  // Internal: looks for sessions expired in storage, periodically.
  caf::reacts_to<atom::sweep>,
  // Internal: deletes the next batch of expired sessions (sent to itself
  // while some remain, behind the messages waiting).
  caf::reacts_to<atom::cleanup>>;

/// What a tenant actor tells the registry that spawned it.
using tenant_supervisor_actor = caf::typed_actor<
  // The tenant had no request for TENANT_IDLE; the registry passivates it
  // if the sender still serves the tenant. Not acknowledged.
  caf::reacts_to<tenant_idle>,
  // A tenant's admin reading or changing its settings: the tenant actor
  // checked the principal (and that the patch touches name, welcome, model
  // and reply only), and the registry takes it from the actor serving the
  // tenant only. As tenant_admin_actor's.
  caf::replies_to<read_tenant>::with<tenant_record>,
  caf::replies_to<update_tenant>::with<tenant_record>>;

/// One tenant while it is active: alone owns its config, its sessions, its
/// reply behaviour, its rate-limit window and its counters. Loads itself
/// from the store when it starts (requests wait meanwhile). Every client
/// request names the tenant: an actor answers errc::not_serving, doing
/// nothing, for a request naming another tenant or arriving once its
/// passivation began; the asker then asks the registry again.
using tenant_actor = caf::typed_actor<
  // Issues a new session id bound to the principal asking (see below for
  // how a principal is resolved), stores the session and answers with the
  // grant the client sees once it is committed. Fails with errc::unknown_tenant
  // (archived), errc::tenant_suspended, errc::too_many_sessions (at
  // limits.max_sessions, else MAX_SESSIONS_PER_TENANT), errc::not_serving
  // or errc::storage_failed.
  caf::replies_to<open_session>::with<session_grant>,
  // Answers the message in the session with the tenant's reply behaviour,
  // unless the tenant's chat window is full (chat_result::limited). Checks
  // in the order tenant, principal, session, reply bandwidth, rate limit;
  // errc::foreign_principal if another principal opened the session. The answer
  // is held back while the tenant's replies go faster than its reply bytes
  // per second (limits.reply_bytes_per_s, else TENANT_REPLY_BYTES_PER_S),
  // answers staying in order. Fails with errc::unknown_tenant (archived),
  // errc::tenant_suspended, errc::unknown_session if the tenant does not
  // hold the session (or it expired), errc::foreign_session if another
  // tenant holds it, errc::reply_rate_exceeded if the answer would be held
  // back longer than a second, errc::reply_too_large if the reply would
  // exceed MAX_REPLY_BYTES, errc::not_serving, or errc::storage_failed.
  // A tenant whose AI route is an upstream (ai.provider "openai") answers
  // an admitted chat with the plan of the call instead of a reply
  // (chat_result::upstream), its answer not held back: then also
  // errc::upstream_circuit_open (every route's breaker open, with the
  // seconds to wait) or errc::chat_exceeds_token_limit, and a chat without
  // room in limits.tokens_per_minute is chat_result::tokens_limited.
  caf::replies_to<chat_request>::with<chat_result>,
  // A completion of the client's own conversation (POST
  // /v1/chat/completions), admitted as a chat is (the chat window, the
  // token window, the in-flight cap) but with no session: the plan's
  // routes are those whose model is msg.model, the tenant's system prompt
  // first, then the client's turns; a mock tenant answers its reply to
  // the last user turn. Fails with errc::unknown_model, the credential
  // errors below, errc::unknown_tenant, errc::tenant_suspended,
  // errc::upstream_circuit_open, errc::chat_exceeds_token_limit,
  // errc::reply_rate_exceeded, errc::reply_too_large or errc::not_serving.
  caf::replies_to<completion_request>::with<chat_result>,
  // The models a completion may ask for. Fails with the credential errors
  // below, errc::unknown_tenant, errc::tenant_suspended or
  // errc::not_serving.
  caf::replies_to<list_models>::with<model_list>,
  // How a planned upstream chat ended: its tokens settled, its routes'
  // breakers told, and an answer kept in the session's history, in memory
  // and in the store (an unknown or expired session is ignored). No answer.
  caf::reacts_to<chat_completed>,
  // A page of a session's conversation, oldest first; then, with
  // delete_messages, clears it (in memory and committed in the store).
  // The session's principal may, as may the tenant's admins and the
  // platform admin; a session opened without a credential is anyone's who
  // knows its id, as for chat_request. Fails with errc::unknown_session,
  // errc::foreign_session, errc::foreign_principal, the credential errors
  // below, errc::unknown_tenant, errc::tenant_suspended, errc::not_serving
  // or errc::storage_failed.
  caf::replies_to<read_messages>::with<message_page>,
  caf::replies_to<delete_messages>::with<caf::ok_atom>,
  // Every request below names the tenant and the principal asking. The
  // principal is resolved in this tenant alone: errc::foreign_credential
  // for another tenant's credential, errc::invalid_credential for a key
  // unknown, revoked or expired or a user deleted or disabled,
  // errc::authentication_required for no credential where one is needed,
  // errc::insufficient_role for a role that may not (docs/access.md). Each
  // may also fail with errc::not_serving, errc::unknown_tenant (archived)
  // or errc::storage_failed.
  //
  // Creates a user (the password hashed on the password pool). Fails with
  // errc::duplicate_email or errc::hashing_busy.
  caf::replies_to<create_user>::with<user_record>,
  // A page of the tenant's users.
  caf::replies_to<list_users>::with<user_page>,
  // One user (a member may read itself). Fails with errc::unknown_user.
  caf::replies_to<read_user>::with<user_record>,
  // Changes a user's role, password or disabled; a user disabled, or with
  // a new password, keeps no access token. Fails with errc::unknown_user
  // or errc::hashing_busy.
  caf::replies_to<update_user>::with<user_record>,
  // Deletes a user: its access tokens open nothing from then on. Fails
  // with errc::unknown_user.
  caf::replies_to<delete_user>::with<caf::ok_atom>,
  // Stores a new API key (made by http/, which alone sees its secret).
  caf::replies_to<create_api_key>::with<api_key_record>,
  // A page of the tenant's API keys (metadata only).
  caf::replies_to<list_api_keys>::with<api_key_page>,
  // Revokes a key: its next request gets errc::invalid_credential. Fails
  // with errc::unknown_api_key.
  caf::replies_to<revoke_api_key>::with<caf::ok_atom>,
  // The password grant: the user the email and password open (the check on
  // the password pool; an unknown email costs the same). Fails with
  // errc::login_failed (unknown email, wrong password, disabled user, and
  // never which), errc::login_throttled (after 5 failures in a row for the
  // email, known or not: waits that double from 1 s; a success resets),
  // errc::hashing_busy.
  caf::replies_to<login_request>::with<principal>,
  // The principal `who` is now in this tenant, with its current role (the
  // client-credentials grant: an API key as presented becomes its id).
  caf::replies_to<authenticate>::with<principal>,
  // A page of the tenant's audit trail (its admins, the platform admin).
  caf::replies_to<read_audit>::with<audit_page>,
  // Recomputes the tenant's audit chain (its admins, the platform admin).
  caf::replies_to<verify_audit>::with<audit_verdict>,
  // Its settings for its admins (GET /tenants/{id}): the record as the
  // registry has it. Fails as read_tenant does.
  caf::replies_to<read_settings>::with<tenant_record>,
  // A merge patch of its settings by its admins (PATCH /tenants/{id}):
  // name, welcome, model and reply only (else errc::insufficient_role),
  // applied through the registry. Fails as update_tenant does.
  caf::replies_to<change_settings>::with<tenant_record>,
  // Internal: a password job is done (from the password pool).
  caf::reacts_to<password_done>,
  // Returns the tenant's current config.
  caf::replies_to<atom::tenant>::with<tenant_config>,
  // Takes the new config (already stored) and answers with the live
  // figures; the next request uses it and every session stays valid.
  caf::replies_to<apply_config>::with<tenant_stats>,
  // Takes the new status (already stored) and answers with the live
  // figures; from then on it refuses sessions and chats unless active.
  caf::replies_to<apply_status>::with<tenant_stats>,
  // Returns the live figures.
  caf::replies_to<atom::stats>::with<tenant_stats>,
  // Stops serving, writes what is not yet stored and stops; answers (every
  // asker) before stopping, once the store has committed it all. Fails
  // with errc::storage_failed.
  caf::replies_to<atom::passivate>::with<caf::ok_atom>,
  // Internal: sends session uses and counters to the store (periodic).
  caf::reacts_to<atom::touch>,
  // Internal: starts a round that drops expired sessions from memory and
  // store (periodic).
  caf::reacts_to<atom::sweep>,
  // Internal: the next step of a sweep round, or of freeing the sessions
  // once passivated (a bounded step per turn; sent to itself).
  caf::reacts_to<atom::cleanup>,
  // Internal: reports to the registry once idle for TENANT_IDLE (periodic).
  caf::reacts_to<atom::idle>,
  // Internal: sends the answers held back for the reply bandwidth that are
  // due (sent to itself when the first of them is).
  caf::reacts_to<atom::pace>>;

/// Owns tenant id -> lifecycle status and (while active) tenant actor: the
/// directory client requests consult before going straight to a tenant's
/// actor. Applies admin changes: the store first, then the tenant's actor,
/// then the answer; so once a change is acknowledged, every later request
/// sees it.
using registry_actor = tenant_admin_actor::extend<
  caf::reacts_to<tenant_idle>,
  // Lists the ids of the tenants that accept sessions (active), in creation
  // order: what it publishes in its active_tenants_view.
  caf::replies_to<list_active_tenants>::with<std::vector<std::string>>,
  // Sends an audit event to the store (from http/: refused tokens, key
  // rotations). Not acknowledged.
  caf::reacts_to<record_audit>,
  // A page of the audit events of every chain (GET /audit). Fails with
  // errc::permission_denied unless the platform admin asks, or
  // errc::storage_failed.
  caf::replies_to<read_audit>::with<audit_page>,
  // Lists tenants of any status. Fails with errc::permission_denied.
  caf::replies_to<list_tenants>::with<tenant_page>,
  // Returns the actor serving the tenant, activating it if passivated (a
  // restarted tenant has a new handle). Fails with errc::unknown_tenant
  // (archived included), errc::tenant_suspended or
  // errc::tenant_unavailable (its actor kept failing right after starting).
  caf::replies_to<find_tenant>::with<tenant_actor>,
  // Passivates every tenant actor and answers once all of them have stored
  // their state (a graceful stop: session uses and counters are kept).
  caf::replies_to<atom::passivate>::with<caf::ok_atom>,
  // Answers ok when requests can be served: the tenants are loaded (they
  // are, once the registry answers) and the store works. Fails with
  // errc::storage_failed.
  caf::replies_to<atom::ready>::with<caf::ok_atom>>;

/// The directory's public page: the ids of the tenants that accept sessions
/// (active), in creation order, as the registry last published them. GET /
/// reads it on an I/O thread without a message. The registry publishes a
/// new list before it acknowledges any change that alters it (a create, a
/// status change), so every read after the acknowledgement sees the change.
class active_tenants_view {
public:
  using ids = std::vector<std::string>;

  /// The current list; any thread.
  std::shared_ptr<const ids> get() const {
    return std::atomic_load(&ids_);
  }

  /// Replaces the list: start_actors once before the registry runs, then
  /// the registry alone.
  void publish(ids next) {
    std::atomic_store(&ids_, std::shared_ptr<const ids>{
                               std::make_shared<ids>(std::move(next))});
  }

private:
  std::shared_ptr<const ids> ids_ = std::make_shared<ids>();
};

/// Whether a tenant actor's failure `err` means the handle no longer
/// serves the tenant and nothing was done: its actor is gone
/// (caf::sec::request_receiver_down: the request was bounced unread) or
/// being passivated (errc::not_serving). The asker then asks the registry
/// for the tenant's actor again and resends.
bool is_stale_handle(const caf::error& err);

} // namespace tenantd
