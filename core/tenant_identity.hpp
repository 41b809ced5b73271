#pragma once

// One tenant's users and API keys as its tenant actor holds them, and the
// rules of who may do what in the tenant (the role x action matrix of
// docs/access.md). No lookup here ever leaves the tenant: a credential of
// another tenant is refused before any of its users or keys is looked at.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/errors.hpp"
#include "core/identity.hpp"
#include "core/principal.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

/// What a principal may ask of a tenant.
enum class tenant_action : uint8_t {
  /// POST /session and /chat.
  use_sessions,
  /// Read the tenant's settings (name, welcome, model, reply).
  read_settings,
  /// Change them (not limits, plan or status: the platform admin's).
  change_settings,
  /// List, create, change and delete the tenant's users.
  manage_users,
  /// List, create and revoke the tenant's API keys.
  manage_keys,
  /// Read and verify the tenant's audit trail.
  read_audit,
};

/// A principal as it is now in this tenant: its holder's current role.
struct acting_principal {
  principal_kind kind = principal_kind::anonymous;
  /// The user's or key's id.
  std::string subject;
  tenant_role role = tenant_role::member;

  /// Whom a session it opens belongs to: "user:<id>", "key:<id>",
  /// "platform_admin", or "" (anonymous: anyone who knows the id).
  std::string owner_tag() const;
};

/// Whether `who` may do `action` in a tenant with auth mode `mode`.
bool permits(const acting_principal& who, tenant_action action,
             auth_mode mode);

class tenant_identity {
public:
  /// Replaces everything with what storage holds.
  void load(std::vector<stored_user> users, std::vector<stored_api_key> keys);

  /// Resolves `who` (of any tenant) for tenant `tenant` at `now` (Unix
  /// ms): errc::foreign_credential for another tenant's credential,
  /// errc::invalid_credential for a key unknown, revoked or expired, or a
  /// user deleted or disabled.
  std::variant<acting_principal, errc>
  resolve(const principal& who, const std::string& tenant, int64_t now) const;

  // -- users ------------------------------------------------------------------

  const stored_user* user(const std::string& id) const;
  const stored_user* user_by_email(std::string_view email) const;
  /// Adds or replaces (by id) a user.
  void put(stored_user u);
  void erase_user(const std::string& id);
  /// A page of the users in creation order.
  user_page users(uint64_t offset, uint64_t limit) const;
  std::size_t user_count() const {
    return users_.size();
  }

  // -- keys -------------------------------------------------------------------

  const stored_api_key* key(const std::string& id) const;
  const stored_api_key* key_by_digest(const std::string& digest) const;
  void put(stored_api_key k);
  void erase_key(const std::string& id);
  api_key_page keys(uint64_t offset, uint64_t limit) const;

  /// Notes a key's use at `now` (kept in memory; taken by take_key_uses).
  void note_key_use(const std::string& id, int64_t now);
  /// The keys used since the last call, with when.
  std::vector<std::pair<std::string, int64_t>> take_key_uses();

private:
  /// By id; `order` keeps creation order (a sequence number per entry).
  std::unordered_map<std::string, stored_user> users_;
  std::unordered_map<std::string, std::string> user_by_email_;
  std::map<uint64_t, std::string> user_order_;
  std::unordered_map<std::string, uint64_t> user_seq_;
  std::unordered_map<std::string, stored_api_key> keys_;
  std::unordered_map<std::string, std::string> key_by_digest_;
  std::map<uint64_t, std::string> key_order_;
  std::unordered_map<std::string, uint64_t> key_seq_;
  uint64_t next_seq_ = 1;
  std::unordered_map<std::string, int64_t> key_uses_;
};

} // namespace tenantd
