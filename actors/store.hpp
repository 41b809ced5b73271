#pragma once

#include <deque>
#include <unordered_map>
#include <utility>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "actors/interfaces.hpp"
#include "core/settings.hpp"
#include "storage/backend.hpp"

namespace tenantd {

struct store_state {
  static constexpr const char* name = "store";

  /// Bounds on how often sessions expired in the store are deleted.
  static constexpr std::chrono::seconds min_sweep_interval{1};
  static constexpr std::chrono::seconds max_sweep_interval{60};
  /// How long after its stored expiry a session is deleted. A tenant sends
  /// session uses about once a second, so a stored expiry can lag the real
  /// one; the grace keeps the store from deleting a session still in use.
  /// (Loads and ownership checks use the exact expiry.)
  static constexpr std::chrono::seconds purge_grace{60};

  /// Sessions read per load_sessions page and deleted per cleanup turn:
  /// each a few milliseconds of work, so a tenant with millions of
  /// sessions holds other tenants' writes no longer than that
  /// (docs/benchmarks.md, "A big tenant").
  static constexpr std::size_t load_page = 4096;
  static constexpr std::size_t delete_batch = 1024;

  /// Only this actor touches it (a shared_ptr only because CAF copies
  /// spawn arguments; start_actors keeps no copy).
  std::shared_ptr<storage_backend> db;
  lifecycle_settings settings;
  /// Acknowledgements waiting for the open transaction's COMMIT, in the
  /// order the writes arrived; each gets null on success or the error.
  std::vector<std::function<void(const caf::error*)>> waiting;
  /// Sessions the tenants expired, not yet deleted: a cleanup turn
  /// deletes delete_batch of them, then the mailbox is served again.
  std::deque<session_id> expiring;
  /// Archived tenants whose sessions are not all deleted yet (archived
  /// now, or before a restart): a cleanup turn deletes delete_batch of the
  /// first one's.
  std::deque<std::string> archiving;
  /// The periodic purge may have more expired sessions to delete (its last
  /// batch was full), up to this time (Unix ms).
  bool purging = false;
  int64_t purge_before = 0;
  /// An atom::cleanup is on its way.
  bool cleanup_scheduled = false;

  /// False from a failed write or COMMIT until a later group commits
  /// (readiness).
  bool last_write_ok = true;

  /// The last seq and hash of each audit chain written (read from storage
  /// on first use; forgotten when a group fails, whose events are gone).
  std::unordered_map<std::string, std::pair<int64_t, std::string>> chains;

  /// Appends `e` to its chain (seq, prev_hash and hash set here) in the
  /// open group. Throws storage_error.
  void append_audit(audit_event e);

  /// Commits the open transaction (if any) and runs `waiting`.
  void commit();
  /// Rolls back the open transaction and fails `waiting` with `err`.
  void fail(const caf::error& err);

  /// Commits what is still open (session uses, counters) when the actor
  /// stops: CAF destroys the state when the actor terminates, whatever the
  /// exit reason.
  ~store_state();
};

/// Owns the storage; see store_actor in interfaces.hpp.
/// @param db Opened and migrated; nothing else may use it any more.
store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self,
                                 std::shared_ptr<storage_backend> db,
                                 lifecycle_settings settings);

/// What start-up reads from storage before the store owns it.
struct opened_storage {
  std::unique_ptr<storage_backend> db;
  /// Every stored tenant, in creation order (bootstrap ones included).
  std::vector<tenant_summary> tenants;
  /// How many bootstrap tenants were new.
  std::size_t added = 0;
};

/// Opens the storage in `data_dir` and adds the `bootstrap` tenants it does
/// not have yet (created at `now`, Unix ms); each tenant keeps its newest
/// `history_limit` history entries (0 = all). Throws storage_error.
opened_storage open_storage(const std::string& data_dir,
                            const std::vector<tenant_config>& bootstrap,
                            int64_t now, std::size_t history_limit = 100);

} // namespace tenantd
