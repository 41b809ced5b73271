#pragma once

// Every actor interface of the service, and the type-ID block and atoms its
// messages use. http/ and tests talk to actors only through these handles.
//
// Three kinds of actor:
// - the registry routes every request by tenant id, keeps each tenant's
//   lifecycle status, activates tenant actors on demand and passivates idle
//   ones;
// - a tenant actor alone owns one tenant's config, sessions, reply
//   behaviour, rate window and counters while it is active;
// - the store owns the SQLite database and runs every blocking storage call
//   on its own thread, committing writes in groups.

#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/type_ids.hpp"



namespace tenantd {

/// Owns the database. Runs detached (its own thread): every call may block
/// on disk. Writes are executed as they arrive inside one open transaction
/// and acknowledged only after the COMMIT that follows them, so a whole
/// burst of writes shares one fsync (group commit).
using store_actor = caf::typed_actor<
  // Stores a new active tenant and answers with its record, once committed.
  // Fails with errc::duplicate_tenant if the id was ever used.
  caf::replies_to<atom::create, tenant_config>::with<tenant_record>,
  // Applies the JSON merge patch `patch` (RFC 7396, JSON text) to tenant
  // `id`'s config and stores the result if it is valid. Fails with
  // errc::unknown_tenant, errc::tenant_archived, or errc::invalid_config
  // carrying the problems (the id cannot change).
  caf::replies_to<atom::update, std::string, std::string>::with<tenant_record>,
  // Sets tenant `id`'s status; archiving also deletes its sessions.
  // Fails with errc::unknown_tenant, or errc::tenant_archived for any change
  // of an archived tenant but archiving it again.
  caf::replies_to<atom::status, std::string, tenant_status>::with<tenant_record>,
  // Reads tenant `id` as stored (stats: stored counters, unexpired sessions).
  // Fails with errc::unknown_tenant.
  caf::replies_to<atom::tenant, std::string>::with<tenant_record>,
  // Reads what tenant `id`'s actor needs to activate. Fails with
  // errc::unknown_tenant (archived included).
  caf::replies_to<atom::load, std::string>::with<tenant_snapshot>,
  // Stores a new session of tenant `tenant_id`; answers once committed.
  // Fails with errc::unknown_tenant if the tenant is archived or unknown.
  caf::replies_to<atom::open, std::string, stored_session>::with<caf::ok_atom>,
  // Names the tenant holding unexpired session `id`, or "" for none.
  caf::replies_to<atom::owner, session_id>::with<std::string>,
  // Records tenant `tenant_id`'s session uses and its counters (chats,
  // rate-limited). Not acknowledged: committed with the next group.
  caf::reacts_to<atom::touch, std::string, std::vector<stored_session>,
                 uint64_t, uint64_t>,
  // Deletes expired sessions. Not acknowledged.
  caf::reacts_to<atom::expire, std::vector<session_id>>,
  // Answers once everything this sender sent before is committed.
  caf::replies_to<caf::flush_atom>::with<caf::ok_atom>,
  // Answers ok while the database works; fails with errc::storage_failed
  // from a failed write or COMMIT until a later group commits. For
  // readiness.
  caf::replies_to<atom::ready>::with<caf::ok_atom>,
  // Internal: commits the open transaction (sent to itself).
  caf::reacts_to<atom::commit>,
  // Internal: deletes sessions expired in the store, periodically.
  caf::reacts_to<atom::sweep>>;

/// One tenant while it is active: alone owns its config, its sessions, its
/// reply behaviour, its rate-limit window and its counters. Loads itself
/// from the store when it starts; reached only through the registry.
using tenant_actor = caf::typed_actor<
  // Registers the new session `id` (issued by the registry), stores it, and
  // answers with the grant the client sees once it is committed.
  caf::replies_to<atom::open, session_id>::with<session_grant>,
  // Answers `message` in session `id` with the tenant's reply behaviour,
  // unless the tenant's chat window is full (chat_result::limited).
  // Fails with errc::unknown_session if the tenant does not hold `id` (or it
  // expired), errc::foreign_session if another tenant holds it.
  caf::replies_to<atom::chat, session_id, std::string>::with<chat_result>,
  // Returns the tenant's current config.
  caf::replies_to<atom::tenant>::with<tenant_config>,
  // Replaces the config (already stored); the next request uses it and every
  // session stays valid.
  caf::replies_to<atom::configure, tenant_config>::with<caf::ok_atom>,
  // Returns the live figures.
  caf::replies_to<atom::stats>::with<tenant_stats>,
  // Writes what is not yet stored and stops; answers (every asker) before
  // stopping, once the store has committed it all.
  caf::replies_to<atom::passivate>::with<caf::ok_atom>,
  // Internal: sends session uses and counters to the store (periodic).
  caf::reacts_to<atom::touch>,
  // Internal: drops expired sessions from memory and store (periodic).
  caf::reacts_to<atom::sweep>>;

/// Owns tenant id -> lifecycle status and (while active) tenant actor;
/// routes every request by tenant id, activates tenant actors on demand and
/// passivates idle ones. Admin changes go to the store first and take effect
/// once committed.
using registry_actor = caf::typed_actor<
  // Lists the ids of the tenants that accept sessions (active), in creation
  // order.
  caf::replies_to<atom::list>::with<std::vector<std::string>>,
  // Lists `limit` tenants of any status from position `offset`.
  caf::replies_to<atom::page, uint64_t, uint64_t>::with<tenant_page>,
  // Opens a session for tenant `tenant_id`. Fails with errc::unknown_tenant
  // (archived included), errc::tenant_suspended, errc::tenant_unavailable or
  // errc::storage_failed.
  caf::replies_to<atom::open, std::string>::with<session_grant>,
  // Chats as (tenant_id, session_id, message); checks run in the order
  // tenant, session, rate limit. Fails with errc::unknown_tenant,
  // errc::tenant_suspended, errc::unknown_session, errc::foreign_session or
  // errc::tenant_unavailable.
  caf::replies_to<atom::chat, std::string, std::string,
                  std::string>::with<chat_result>,
  // Creates a tenant: stores it, then spawns its actor at once. Fails with
  // errc::duplicate_tenant, errc::invalid_config or errc::storage_failed.
  caf::replies_to<atom::create, tenant_config>::with<tenant_record>,
  // Applies a JSON merge patch to a tenant's config (see store_actor); its
  // actor, if active, uses the result before the answer is sent.
  caf::replies_to<atom::update, std::string, std::string>::with<tenant_record>,
  // Suspends, resumes or archives tenant `id`. Archiving stops its actor
  // and ends its sessions. Fails with errc::unknown_tenant or
  // errc::tenant_archived.
  caf::replies_to<atom::status, std::string, tenant_status>::with<tenant_record>,
  // Reads tenant `id`'s record with live stats. Fails with
  // errc::unknown_tenant.
  caf::replies_to<atom::tenant, std::string>::with<tenant_record>,
  // Returns the actor serving `tenant_id`, activating it if passivated (for
  // operators and tests; a restarted tenant has a new handle). Fails with
  // errc::unknown_tenant, errc::tenant_suspended or
  // errc::tenant_unavailable.
  caf::replies_to<atom::activate, std::string>::with<tenant_actor>,
  // Passivates every tenant actor and answers once all of them have stored
  // their state (a graceful stop: session uses and counters are kept).
  caf::replies_to<atom::passivate>::with<caf::ok_atom>,
  // Answers ok when requests can be served: the tenants are loaded (they
  // are, once the registry answers) and the store works. Fails with
  // errc::storage_failed.
  caf::replies_to<atom::ready>::with<caf::ok_atom>,
  // Internal: passivates idle tenant actors (periodic).
  caf::reacts_to<atom::sweep>>;

} // namespace tenantd
