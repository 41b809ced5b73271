#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <caf/error.hpp>

#include "actors/interfaces.hpp"
#include "storage/database.hpp"
#include "core/settings.hpp"

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

  std::shared_ptr<database> db;
  lifecycle_settings settings;
  /// Acknowledgements waiting for the open transaction's COMMIT, in the
  /// order the writes arrived; each gets null on success or the error.
  std::vector<std::function<void(const caf::error*)>> waiting;
  /// False from a failed write or COMMIT until a later group commits
  /// (readiness).
  bool last_write_ok = true;

  /// Commits the open transaction (if any) and runs `waiting`.
  void commit();
  /// Rolls back the open transaction and fails `waiting` with `err`.
  void fail(const caf::error& err);
};

/// Owns the database; see store_actor in actors.hpp.
/// @param db Opened and migrated (see database::open).
store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self,
                                 std::shared_ptr<database> db,
                                 lifecycle_settings settings);

} // namespace tenantd
