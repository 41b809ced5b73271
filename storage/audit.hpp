#pragma once

// The audit table: `audit_events`, append-only, one row per event with its
// chain (tenant, or "" for the platform's), its place in the chain and its
// hashes (core/audit.hpp). Rows are only ever inserted, and deleted when
// older than the retention. Used by sqlite_storage only.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/database.hpp"

namespace tenantd {

class audit_table {
public:
  explicit audit_table(database& db);

  void append(const audit_event& e);

  /// The last event's seq and hash in chain `tenant` ({0, ""} if none).
  std::pair<int64_t, std::string> last(std::string_view tenant);

  audit_page find(const audit_filter& f);

  /// Up to `limit` events of chain `tenant` after seq `after`, in chain
  /// order.
  std::vector<audit_event> chain(std::string_view tenant, int64_t after,
                                 std::size_t limit);

  /// Deletes up to `limit` events older than `before` (Unix ms), the
  /// oldest first; returns how many.
  uint64_t purge(int64_t before, std::size_t limit);

private:
  database& db_;
  statement_ptr insert_;
  statement_ptr last_;
  statement_ptr chain_;
  statement_ptr purge_;
};

} // namespace tenantd
