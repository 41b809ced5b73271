#pragma once

// The tenants table family: `tenants` (one row per tenant: config as JSON,
// status, times, counters) and `tenant_history` (one row per change, with
// the config and status the change left). Used by sqlite_storage only.
// The secrets of a config (its upstream API keys) are stored sealed
// (crypto::secret_box, the field and tenant as context), the rest as JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_box.hpp"
#include "storage/database.hpp"

namespace tenantd {

class tenants_table {
public:
  /// Each tenant keeps its newest `history_limit` history rows (0 = all):
  /// a row is a whole config, and a tenant patched every second would
  /// otherwise grow the file for ever.
  tenants_table(database& db, std::size_t history_limit,
                const crypto::secret_box& box);

  /// Every tenant's id and status, in creation order.
  std::vector<tenant_summary> list();

  /// One tenant, or nothing if the id was never used.
  std::optional<stored_tenant> find(std::string_view id);

  /// Inserts a new active tenant and its history row `action`; false,
  /// writing nothing, if the id exists.
  bool insert(const tenant_config& config, int64_t now,
              std::string_view action);

  /// Replaces an existing tenant's config and adds a history row "update".
  void update_config(const tenant_config& config, int64_t now);

  /// Sets an existing tenant's status and adds a history row named after
  /// it; throws if the tenant is unknown.
  void set_status(std::string_view id, tenant_status status, int64_t now);

  void set_counters(std::string_view id, uint64_t chats,
                    uint64_t rate_limited);

  uint64_t history_size(std::string_view id);

private:
  /// The config as stored: JSON with its secrets sealed.
  std::string stored_form(const tenant_config& config) const;

  database& db_;
  const crypto::secret_box& box_;
  statement_ptr list_;
  statement_ptr find_;
  statement_ptr insert_;
  statement_ptr update_config_;
  statement_ptr update_status_;
  statement_ptr update_counters_;
  /// Adds a history row for tenant `id` and drops those beyond the limit.
  void add_history(std::string_view id, std::string_view action, int64_t now);

  statement_ptr insert_history_;
  std::size_t history_limit_;
  statement_ptr trim_history_;
  statement_ptr history_size_;
};

} // namespace tenantd
