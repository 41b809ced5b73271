#pragma once

// The SQLite database behind the store actor: schema, migrations and every
// query. Plain blocking code without actors; only the store actor (on its
// own thread) and start-up use it.
//
// Durability: WAL journal with synchronous=FULL, so a COMMIT returns only
// after the log is fsync'd. Callers group writes between begin() and
// commit().
//
// Session ids live in an in-memory index, not in a SQLite index. Ids are
// random UUIDs: as a B-tree key each insert lands on a random page, so a
// group of 64 sessions dirtied ~64 pages, each written to the WAL and again
// at checkpoint. The sessions table is therefore a rowid table in insertion
// order (seq, appended at the end), and `ids_` maps id -> seq: ~50 bytes of
// RAM per stored session, rebuilt by one scan at open() (O(sessions): ~1 s
// for a million). Every write keeps it in step, and rollback() rebuilds it,
// since a rolled back transaction may have added or removed ids.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/records.hpp"
#include "core/session_id.hpp"
#include "core/tenant_config.hpp"

struct sqlite3;

namespace tenantd {

/// Any failure of the database; the message names the file and the cause.
class database_error : public std::runtime_error {
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

class database {
public:
  /// The schema version this build writes (PRAGMA user_version).
  static constexpr int schema_version = 1;

  /// The file inside `dir`.
  static constexpr const char* file_name = "tenantd.db";

  /// Opens `dir`/tenantd.db, creating the directory (0700) and the file if
  /// missing, and runs the migrations up to schema_version. Throws
  /// database_error if the directory or file cannot be created or written,
  /// the file is not a SQLite database or is corrupt, or its schema is newer
  /// than this build knows. Never replaces an existing file.
  static database open(const std::string& dir);

  database(database&&) noexcept;
  database& operator=(database&&) noexcept;
  ~database();

  /// The database file's path.
  const std::string& path() const noexcept {
    return path_;
  }

  // -- transactions -----------------------------------------------------------

  /// Starts a write transaction (BEGIN IMMEDIATE).
  void begin();
  /// Commits it; durable when this returns.
  void commit();
  /// Rolls it back (if SQLite has not already, as it may after an error)
  /// and reloads the session index if the transaction changed it; never
  /// throws.
  void rollback() noexcept;
  bool in_transaction() const;

  // -- tenants ----------------------------------------------------------------

  /// Every tenant's id and status, in creation order.
  std::vector<tenant_summary> tenants();

  /// One tenant, or nothing if the id was never used.
  std::optional<stored_tenant> tenant(std::string_view id);

  /// Inserts a new active tenant created at `now` (Unix ms) and a history
  /// row "create" (or `action`). Returns false, changing nothing, if the id
  /// exists (in any status).
  bool insert_tenant(const tenant_config& config, int64_t now,
                     std::string_view action = "create");

  /// Replaces an existing tenant's config, sets updated_at, adds a history
  /// row "update". If the tenant's session TTL changed, its sessions'
  /// expires_at become last_used + the new TTL (`default_ttl` seconds when
  /// the config has none).
  void update_tenant(const tenant_config& config, int64_t now,
                     int64_t default_ttl);

  /// Sets an existing tenant's status, updated_at and a history row named
  /// after the status. Archiving deletes the tenant's sessions.
  void set_status(std::string_view id, tenant_status status, int64_t now);

  /// Stores a tenant's counters.
  void set_counters(std::string_view id, uint64_t chats,
                    uint64_t rate_limited);

  /// The number of history rows of tenant `id` (for tests and operators).
  uint64_t history_size(std::string_view id);

  // -- sessions ---------------------------------------------------------------

  /// Inserts a session of tenant `tenant_id`. Returns false, changing
  /// nothing, if the tenant is unknown or archived, or the id exists.
  bool insert_session(std::string_view tenant_id, const stored_session& s);

  /// Sets a session's last_used and expires_at (no-op if it is gone).
  void touch_session(const stored_session& s);

  /// Deletes a session (no-op if it is gone).
  void delete_session(const session_id& id);

  /// Tenant `tenant_id`'s sessions with expires_at > `now`.
  std::vector<stored_session> sessions(std::string_view tenant_id,
                                       int64_t now);

  /// The number of those.
  uint64_t session_count(std::string_view tenant_id, int64_t now);

  /// The tenant holding session `id` if expires_at > `now`, else "".
  std::string session_owner(const session_id& id, int64_t now);

  /// Deletes every session with expires_at <= `now`; returns how many.
  uint64_t purge_expired_sessions(int64_t now);

private:
  struct statements;

  database(std::string path, sqlite3* db);

  /// The session index, reloaded first if it holds changes of a
  /// transaction that ended without commit() (rolled back by us, or by
  /// SQLite itself after some errors).
  std::unordered_map<session_id, int64_t>& ids();

  /// Refills `ids_` from the table.
  void load_ids();

  /// Notes a change of `ids_`: inside a transaction only commit() makes it
  /// final.
  void ids_changed();

  /// Drops deleted sessions from the index.
  void forget(const std::vector<session_id>& deleted);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<statements> stmts_;
  /// Every stored session's id -> its row (sessions.seq).
  std::unordered_map<session_id, int64_t> ids_;
  /// `ids_` holds changes not yet committed (or a reload failed), so it
  /// is reloaded unless the transaction commits.
  bool ids_uncommitted_ = false;
};

/// Adds each config whose id the database has never seen (as a tenant
/// created at `now` with history action "bootstrap"); tenants already
/// stored keep their stored state. Returns how many were added.
std::size_t bootstrap_tenants(database& db,
                              const std::vector<tenant_config>& configs,
                              int64_t now);

} // namespace tenantd
