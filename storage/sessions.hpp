#pragma once

// The sessions table: one row per stored session (id as a 16-byte blob,
// tenant, created, last used, expiry). Used by sqlite_storage only.
//
// Session ids live in an in-memory index, not in a SQLite index. Ids are
// random UUIDs: as a B-tree key each insert lands on a random page, so a
// group of 64 sessions dirtied ~64 pages, each written to the WAL and again
// at checkpoint. The table is therefore a rowid table in insertion order
// (seq, appended at the end), and the index maps id -> seq: ~50 bytes of
// RAM per stored session, rebuilt by one scan when the file is opened
// (O(sessions): ~1 s for a million). Every write keeps it in step; a
// transaction that ends without commit may have added or removed ids, so
// the index is rebuilt then (settle()).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/database.hpp"

namespace tenantd {

class sessions_table {
public:
  /// Prepares the statements and loads the index.
  explicit sessions_table(database& db);

  /// Inserts a session unless its id exists or the tenant is unknown or
  /// archived; returns whether it did.
  bool insert(std::string_view tenant_id, const stored_session& s);

  void touch(const stored_session& s);
  void remove(const session_id& id);

  /// Deletes up to `limit` sessions of `tenant_id` if it is archived;
  /// returns how many.
  uint64_t remove_archived(std::string_view tenant_id, std::size_t limit);

  /// The archived tenants that still have sessions.
  std::vector<std::string> archived_with_sessions();

  /// Sets the expiry of every session of `tenant_id` to its last use plus
  /// `ttl_ms`.
  void retime(std::string_view tenant_id, int64_t ttl_ms);

  /// Up to `limit` unexpired sessions of `tenant_id` after cursor `after`.
  session_page page(std::string_view tenant_id, int64_t now, int64_t after,
                    std::size_t limit);
  uint64_t count(std::string_view tenant_id, int64_t now);
  std::string owner(const session_id& id, int64_t now);
  /// The row (seq) of stored session `id`, or 0.
  int64_t row(const session_id& id);
  /// Deletes up to `limit` sessions expired at `now`; returns how many.
  uint64_t purge_expired(int64_t now, std::size_t limit);

  /// Rebuilds the index if it holds changes of a transaction that ended
  /// without commit (rolled back by us, or by SQLite itself after some
  /// errors). A failed rebuild is retried at the next use.
  void settle();

  /// The transaction committed: the index is the table.
  void committed() noexcept {
    uncommitted_ = false;
  }

private:
  /// The index, settled first.
  std::unordered_map<session_id, int64_t>& ids();
  void load_ids();
  /// Notes a change of the index: inside a transaction only commit makes it
  /// final.
  void changed();
  /// Drops deleted sessions from the index.
  void forget(const std::vector<session_id>& deleted);

  database& db_;
  statement_ptr insert_;
  statement_ptr all_ids_;
  statement_ptr touch_;
  statement_ptr remove_;
  statement_ptr remove_archived_;
  statement_ptr archived_with_sessions_;
  statement_ptr retime_;
  statement_ptr page_;
  statement_ptr count_;
  statement_ptr owner_;
  statement_ptr purge_;
  /// Every stored session's id -> its row (sessions.seq).
  std::unordered_map<session_id, int64_t> ids_;
  /// The index holds changes not yet committed (or a reload failed), so it
  /// is reloaded unless the transaction commits.
  bool uncommitted_ = false;
};

} // namespace tenantd
