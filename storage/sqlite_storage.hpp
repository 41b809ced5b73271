#pragma once

// storage_backend on SQLite: one file, DATA_DIR/tenantd.db, through the
// connection of database.hpp and the table families of tenants.hpp,
// sessions.hpp, identity.hpp and audit.hpp.

#include <memory>
#include <string>

#include "storage/backend.hpp"

namespace tenantd {

class sqlite_storage final : public storage_backend {
public:
  /// The file in the data directory whose token keys the secrets of the
  /// stored configs (AES-256-GCM under its SHA-256).
  static constexpr const char* config_key_file = "config-key";

  /// Opens (creating if missing) and migrates `dir`/tenantd.db; see
  /// database::database for what it refuses (storage_error). Reads
  /// `dir`/config-key, or makes it (std::runtime_error if it cannot). Each
  /// tenant keeps its newest `history_limit` history entries (0 = all).
  static sqlite_storage open(const std::string& dir,
                             std::size_t history_limit = 100);

  sqlite_storage(sqlite_storage&&) noexcept;
  sqlite_storage& operator=(sqlite_storage&&) noexcept;
  ~sqlite_storage() override;

  /// The database file's path.
  const std::string& path() const noexcept;

  const std::string& location() const noexcept override;

  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  bool in_transaction() const override;

  std::vector<tenant_summary> tenants() override;
  std::optional<stored_tenant> tenant(std::string_view id) override;
  bool insert_tenant(const tenant_config& config, int64_t now,
                     std::string_view action = "create") override;
  void update_tenant(const tenant_config& config, int64_t now,
                     int64_t default_ttl) override;
  void set_status(std::string_view id, tenant_status status,
                  int64_t now) override;
  void set_counters(std::string_view id, uint64_t chats,
                    uint64_t rate_limited) override;
  uint64_t history_size(std::string_view id) override;

  bool insert_session(std::string_view tenant_id,
                      const stored_session& s) override;
  void touch_session(const stored_session& s) override;
  void delete_session(const session_id& id) override;
  session_page sessions(std::string_view tenant_id, int64_t now,
                        int64_t after, std::size_t limit) override;
  uint64_t session_count(std::string_view tenant_id, int64_t now) override;
  std::string session_owner(const session_id& id, int64_t now) override;
  uint64_t purge_expired_sessions(int64_t now, std::size_t limit) override;
  uint64_t delete_archived_sessions(std::string_view tenant_id,
                                    std::size_t limit) override;
  std::vector<std::string> archived_with_sessions() override;

  std::vector<stored_user> users(std::string_view tenant) override;
  bool insert_user(std::string_view tenant, const stored_user& u) override;
  void update_user(std::string_view tenant, const stored_user& u) override;
  void delete_user(std::string_view tenant, std::string_view id) override;
  std::vector<stored_api_key> api_keys(std::string_view tenant) override;
  bool insert_api_key(std::string_view tenant,
                      const stored_api_key& k) override;
  void delete_api_key(std::string_view tenant, std::string_view id) override;
  void touch_api_key(std::string_view tenant, std::string_view id,
                     int64_t at) override;

  void append_messages(std::string_view tenant, const session_id& session,
                       const std::vector<stored_message>& messages) override;
  message_page messages(std::string_view tenant, const session_id& session,
                        int64_t after, std::size_t limit) override;
  std::vector<stored_message> newest_messages(std::string_view tenant,
                                              const session_id& session,
                                              std::size_t limit) override;
  uint64_t clear_messages(std::string_view tenant,
                          const session_id& session) override;

  void append_audit(const audit_event& e) override;
  std::pair<int64_t, std::string> last_audit(std::string_view tenant) override;
  audit_page audit_events(const audit_filter& f) override;
  std::vector<audit_event> audit_chain(std::string_view tenant, int64_t after,
                                       std::size_t limit) override;
  uint64_t purge_audit(int64_t before, std::size_t limit) override;

private:
  struct parts;

  explicit sqlite_storage(std::unique_ptr<parts> p);

  std::unique_ptr<parts> p_;
};

} // namespace tenantd
