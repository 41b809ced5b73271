#pragma once

// What the store actor needs of durable storage, and nothing more: the one
// interface between actors/ and storage/. SQLite implements it
// (sqlite_storage.hpp); a PostgreSQL backend would implement the same
// methods with the same meaning, and actors/ would not change.
//
// Plain blocking calls: only the store actor, on its own thread, makes them
// (and start-up, before the store exists). Writes made between begin() and
// commit() are one group: durable together once commit() returns, gone
// together after rollback(). A call that fails throws storage_error; the
// store then rolls back the group it was part of.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/audit.hpp"
#include "core/records.hpp"
#include "core/session_id.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

/// Any failure of storage; the message names the file (or server) and the
/// cause.
class storage_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A tenant row as stored.
struct stored_tenant {
  tenant_config config;
  tenant_status status = tenant_status::active;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  uint64_t chats = 0;
  uint64_t rate_limited = 0;
};

class storage_backend {
public:
  virtual ~storage_backend() = default;

  /// Where the data lives, for logs (a file path, a server address).
  virtual const std::string& location() const noexcept = 0;

  // -- groups of writes -------------------------------------------------------

  /// Starts a group of writes.
  virtual void begin() = 0;
  /// Makes the group durable; throws (and the group is lost) if it cannot.
  virtual void commit() = 0;
  /// Discards the group (if the backend has not already, as SQLite may
  /// after an error); never throws.
  virtual void rollback() noexcept = 0;
  /// Whether a group is open.
  virtual bool in_transaction() const = 0;

  // -- tenants ----------------------------------------------------------------

  /// Every tenant's id and status, in creation order.
  virtual std::vector<tenant_summary> tenants() = 0;

  /// One tenant, or nothing if the id was never used.
  virtual std::optional<stored_tenant> tenant(std::string_view id) = 0;

  /// Inserts a new active tenant created at `now` (Unix ms) and a history
  /// entry `action` ("create", "bootstrap"). Returns false, changing
  /// nothing, if the id exists (in any status).
  virtual bool insert_tenant(const tenant_config& config, int64_t now,
                             std::string_view action) = 0;

  /// Replaces an existing tenant's config, sets updated_at, adds a history
  /// entry "update". If the tenant's session TTL changed, its sessions'
  /// expiry becomes last use + the new TTL (`default_ttl` seconds when the
  /// config has none).
  virtual void update_tenant(const tenant_config& config, int64_t now,
                             int64_t default_ttl) = 0;

  /// Sets an existing tenant's status, updated_at and a history entry named
  /// after the status. An archived tenant's sessions are nobody's at once
  /// (session_owner, session_count), and deleted by
  /// delete_archived_sessions.
  virtual void set_status(std::string_view id, tenant_status status,
                          int64_t now) = 0;

  /// Stores a tenant's counters.
  virtual void set_counters(std::string_view id, uint64_t chats,
                            uint64_t rate_limited) = 0;

  /// The number of history entries of tenant `id` (for tests and
  /// operators).
  virtual uint64_t history_size(std::string_view id) = 0;

  // -- sessions ---------------------------------------------------------------

  /// Inserts a session of tenant `tenant_id`. Returns false, changing
  /// nothing, if the tenant is unknown or archived, or the id exists.
  virtual bool insert_session(std::string_view tenant_id,
                              const stored_session& s) = 0;

  /// Sets a session's last use and expiry (no-op if it is gone).
  virtual void touch_session(const stored_session& s) = 0;

  /// Deletes a session (no-op if it is gone).
  virtual void delete_session(const session_id& id) = 0;

  /// Up to `limit` of tenant `tenant_id`'s sessions that expire after
  /// `now`, in a fixed order, from cursor `after` (0: the start; then the
  /// previous page's `next`). Sessions added or deleted between pages may
  /// or may not be seen; no other session is missed or repeated.
  virtual session_page sessions(std::string_view tenant_id, int64_t now,
                                int64_t after, std::size_t limit) = 0;

  /// The number of those.
  virtual uint64_t session_count(std::string_view tenant_id, int64_t now) = 0;

  /// The tenant holding session `id` if it expires after `now`, else "".
  virtual std::string session_owner(const session_id& id, int64_t now) = 0;

  /// Deletes up to `limit` sessions that expired at or before `now`, the
  /// earliest first; returns how many.
  virtual uint64_t purge_expired_sessions(int64_t now, std::size_t limit) = 0;

  /// Deletes up to `limit` sessions of tenant `tenant_id` if it is archived
  /// (none otherwise); returns how many.
  virtual uint64_t delete_archived_sessions(std::string_view tenant_id,
                                            std::size_t limit) = 0;

  /// The archived tenants whose sessions are not all deleted yet.
  virtual std::vector<std::string> archived_with_sessions() = 0;

  // -- session messages (a session's conversation; gone with the session) ----

  /// Appends `messages` to session `session` of tenant `tenant`; nothing
  /// if the tenant does not hold it (any more).
  virtual void append_messages(std::string_view tenant,
                               const session_id& session,
                               const std::vector<stored_message>& messages) = 0;

  /// Up to `limit` of the session's messages after seq `after` (0: from
  /// the first), oldest first.
  virtual message_page messages(std::string_view tenant,
                                const session_id& session, int64_t after,
                                std::size_t limit) = 0;

  /// The session's newest `limit` messages, oldest first.
  virtual std::vector<stored_message>
  newest_messages(std::string_view tenant, const session_id& session,
                  std::size_t limit) = 0;

  /// Deletes the session's messages; returns how many.
  virtual uint64_t clear_messages(std::string_view tenant,
                                  const session_id& session) = 0;

  // -- users and API keys -----------------------------------------------------

  /// The tenant's users, in creation order.
  virtual std::vector<stored_user> users(std::string_view tenant) = 0;

  /// Inserts a user of tenant `tenant`. Returns false, changing nothing, if
  /// the tenant is unknown or archived, or the id or the email (by
  /// email_key, per tenant) exists.
  virtual bool insert_user(std::string_view tenant, const stored_user& u) = 0;

  /// Replaces an existing user's email, hash, role, disabled and
  /// updated_at (no-op if it is gone).
  virtual void update_user(std::string_view tenant, const stored_user& u) = 0;

  /// Deletes a user (no-op if it is gone).
  virtual void delete_user(std::string_view tenant, std::string_view id) = 0;

  /// The tenant's API keys, in creation order.
  virtual std::vector<stored_api_key> api_keys(std::string_view tenant) = 0;

  /// Inserts a key of tenant `tenant`. Returns false, changing nothing, if
  /// the tenant is unknown or archived, or the id or digest exists.
  virtual bool insert_api_key(std::string_view tenant,
                              const stored_api_key& k) = 0;

  /// Deletes (revokes) a key (no-op if it is gone).
  virtual void delete_api_key(std::string_view tenant,
                              std::string_view id) = 0;

  /// Records a key's last use at `at` if later than the one stored.
  virtual void touch_api_key(std::string_view tenant, std::string_view id,
                             int64_t at) = 0;

  // -- the audit trail --------------------------------------------------------

  /// Appends an event whose seq, prev_hash and hash are set.
  virtual void append_audit(const audit_event& e) = 0;

  /// The seq and hash of the last event of chain `tenant` ({0, ""}: none).
  virtual std::pair<int64_t, std::string>
  last_audit(std::string_view tenant) = 0;

  /// A page of the events `f` asks for, newest first.
  virtual audit_page audit_events(const audit_filter& f) = 0;

  /// Up to `limit` events of chain `tenant` after seq `after`, in order.
  virtual std::vector<audit_event>
  audit_chain(std::string_view tenant, int64_t after, std::size_t limit) = 0;

  /// Deletes up to `limit` events older than `before` (Unix ms), oldest
  /// first; returns how many.
  virtual uint64_t purge_audit(int64_t before, std::size_t limit) = 0;
};

/// Adds each config whose id `storage` has never seen (as a tenant created
/// at `now` with history action "bootstrap"), in one group, calling
/// `added_one` for each in that group (to record it); tenants already
/// stored keep their stored state. Returns how many were added.
std::size_t bootstrap_tenants(
  storage_backend& storage, const std::vector<tenant_config>& configs,
  int64_t now,
  const std::function<void(const tenant_config&)>& added_one = nullptr);

} // namespace tenantd
