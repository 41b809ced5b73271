#pragma once

// The identity table family: `users` (a tenant's users: email unique per
// tenant case-insensitively, the Argon2id hash, role, disabled) and
// `api_keys` (a tenant's keys: metadata and the keyed digest, never the
// key). Used by sqlite_storage only.

#include <string_view>
#include <vector>

#include "storage/database.hpp"

namespace tenantd {

class identity_tables {
public:
  explicit identity_tables(database& db);

  /// The tenant's users, in creation order.
  std::vector<stored_user> users(std::string_view tenant);

  /// Inserts a user; false, writing nothing, if its id or its email (per
  /// tenant) exists or the tenant is unknown or archived.
  bool insert_user(std::string_view tenant, const stored_user& u);

  /// Replaces an existing user's email, hash, role, disabled, updated_at.
  void update_user(std::string_view tenant, const stored_user& u);

  void delete_user(std::string_view tenant, std::string_view id);

  /// The tenant's API keys, in creation order.
  std::vector<stored_api_key> api_keys(std::string_view tenant);

  /// Inserts a key; false, writing nothing, if its id or digest exists or
  /// the tenant is unknown or archived.
  bool insert_api_key(std::string_view tenant, const stored_api_key& k);

  void delete_api_key(std::string_view tenant, std::string_view id);

  void touch_api_key(std::string_view tenant, std::string_view id,
                     int64_t at);

private:
  database& db_;
  statement_ptr users_;
  statement_ptr insert_user_;
  statement_ptr update_user_;
  statement_ptr delete_user_;
  statement_ptr keys_;
  statement_ptr insert_key_;
  statement_ptr delete_key_;
  statement_ptr touch_key_;
};

} // namespace tenantd
