#include "storage/sqlite_storage.hpp"

#include "crypto/digest.hpp"
#include "crypto/secret_file.hpp"
#include "storage/audit.hpp"
#include "storage/database.hpp"
#include "storage/identity.hpp"
#include "storage/messages.hpp"
#include "storage/sessions.hpp"
#include "storage/tenants.hpp"

namespace tenantd {

namespace {

// A config's session TTL in milliseconds, the service default when unset.
int64_t session_ttl_ms(const tenant_config& config, int64_t default_ttl) {
  auto seconds = config.limits.session_ttl != 0
                   ? static_cast<int64_t>(config.limits.session_ttl)
                   : default_ttl;
  return seconds * 1000;
}

// The AES-256-GCM key of the secrets in stored configs: SHA-256 of the
// token in `dir`/config-key (made on the first open, like the service's
// other secrets).
std::string config_key(const std::string& dir) {
  auto token = crypto::read_or_create_secret(
    dir + "/" + sqlite_storage::config_key_file, "config key").first;
  auto digest = crypto::sha256(token);
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

} // namespace

// The connection first: the tables prepare their statements on it, and are
// destroyed before it.
struct sqlite_storage::parts {
  parts(const std::string& dir, std::size_t history_limit)
    : db(dir), box(config_key(dir)), tenants(db, history_limit, box),
      sessions(db), messages(db), identity(db), audit(db) {
  }
  database db; // makes the directory, and locks it
  crypto::secret_box box;
  tenants_table tenants;
  sessions_table sessions;
  messages_table messages;
  identity_tables identity;
  audit_table audit;
};

sqlite_storage sqlite_storage::open(const std::string& dir,
                                    std::size_t history_limit) {
  return sqlite_storage{std::make_unique<parts>(dir, history_limit)};
}

sqlite_storage::sqlite_storage(std::unique_ptr<parts> p) : p_(std::move(p)) {
}

sqlite_storage::sqlite_storage(sqlite_storage&&) noexcept = default;
sqlite_storage& sqlite_storage::operator=(sqlite_storage&&) noexcept = default;
sqlite_storage::~sqlite_storage() = default;

const std::string& sqlite_storage::path() const noexcept {
  return p_->db.path();
}

const std::string& sqlite_storage::location() const noexcept {
  return path();
}

// -- groups of writes ---------------------------------------------------------

void sqlite_storage::begin() {
  p_->sessions.settle(); // a transaction may have ended without commit()
  p_->db.begin();
}

void sqlite_storage::commit() {
  p_->db.commit();
  p_->sessions.committed();
}

void sqlite_storage::rollback() noexcept {
  if (!p_)
    return;
  p_->db.rollback();
  try {
    p_->sessions.settle();
  } catch (...) {
    // The index stays marked uncommitted: its next use retries.
  }
}

bool sqlite_storage::in_transaction() const {
  return p_->db.in_transaction();
}

// -- tenants ------------------------------------------------------------------

std::vector<tenant_summary> sqlite_storage::tenants() {
  return p_->tenants.list();
}

std::optional<stored_tenant> sqlite_storage::tenant(std::string_view id) {
  return p_->tenants.find(id);
}

bool sqlite_storage::insert_tenant(const tenant_config& config, int64_t now,
                                   std::string_view action) {
  return p_->tenants.insert(config, now, action);
}

void sqlite_storage::update_tenant(const tenant_config& config, int64_t now,
                                   int64_t default_ttl) {
  write_scope scope{p_->db};
  auto old = p_->tenants.find(config.id);
  if (!old)
    throw storage_error(path() + ": cannot update unknown tenant '" + config.id
                        + "'");
  p_->tenants.update_config(config, now);
  auto ttl = session_ttl_ms(config, default_ttl);
  if (ttl != session_ttl_ms(old->config, default_ttl))
    p_->sessions.retime(config.id, ttl);
  scope.done();
}

void sqlite_storage::set_status(std::string_view id, tenant_status status,
                                int64_t now) {
  p_->tenants.set_status(id, status, now);
}

void sqlite_storage::set_counters(std::string_view id, uint64_t chats,
                                  uint64_t rate_limited) {
  p_->tenants.set_counters(id, chats, rate_limited);
}

uint64_t sqlite_storage::history_size(std::string_view id) {
  return p_->tenants.history_size(id);
}

// -- sessions -----------------------------------------------------------------

bool sqlite_storage::insert_session(std::string_view tenant_id,
                                    const stored_session& s) {
  return p_->sessions.insert(tenant_id, s);
}

void sqlite_storage::touch_session(const stored_session& s) {
  p_->sessions.touch(s);
}

void sqlite_storage::delete_session(const session_id& id) {
  p_->sessions.remove(id);
}

session_page sqlite_storage::sessions(std::string_view tenant_id, int64_t now,
                                      int64_t after, std::size_t limit) {
  return p_->sessions.page(tenant_id, now, after, limit);
}

uint64_t sqlite_storage::session_count(std::string_view tenant_id,
                                       int64_t now) {
  return p_->sessions.count(tenant_id, now);
}

std::string sqlite_storage::session_owner(const session_id& id, int64_t now) {
  return p_->sessions.owner(id, now);
}

uint64_t sqlite_storage::purge_expired_sessions(int64_t now,
                                                std::size_t limit) {
  return p_->sessions.purge_expired(now, limit);
}

uint64_t sqlite_storage::delete_archived_sessions(std::string_view tenant_id,
                                                  std::size_t limit) {
  return p_->sessions.remove_archived(tenant_id, limit);
}

std::vector<std::string> sqlite_storage::archived_with_sessions() {
  return p_->sessions.archived_with_sessions();
}

std::vector<stored_user> sqlite_storage::users(std::string_view tenant) {
  return p_->identity.users(tenant);
}

bool sqlite_storage::insert_user(std::string_view tenant,
                                 const stored_user& u) {
  return p_->identity.insert_user(tenant, u);
}

void sqlite_storage::update_user(std::string_view tenant,
                                 const stored_user& u) {
  p_->identity.update_user(tenant, u);
}

void sqlite_storage::delete_user(std::string_view tenant,
                                 std::string_view id) {
  p_->identity.delete_user(tenant, id);
}

std::vector<stored_api_key>
sqlite_storage::api_keys(std::string_view tenant) {
  return p_->identity.api_keys(tenant);
}

bool sqlite_storage::insert_api_key(std::string_view tenant,
                                    const stored_api_key& k) {
  return p_->identity.insert_api_key(tenant, k);
}

void sqlite_storage::delete_api_key(std::string_view tenant,
                                    std::string_view id) {
  p_->identity.delete_api_key(tenant, id);
}

void sqlite_storage::touch_api_key(std::string_view tenant,
                                   std::string_view id, int64_t at) {
  p_->identity.touch_api_key(tenant, id, at);
}

void sqlite_storage::append_messages(
  std::string_view tenant, const session_id& session,
  const std::vector<stored_message>& messages) {
  if (auto row = p_->sessions.row(session))
    p_->messages.append(tenant, session, row, messages);
}

message_page sqlite_storage::messages(std::string_view tenant,
                                      const session_id& session, int64_t after,
                                      std::size_t limit) {
  return p_->messages.page(tenant, session, after, limit);
}

std::vector<stored_message>
sqlite_storage::newest_messages(std::string_view tenant,
                                const session_id& session, std::size_t limit) {
  return p_->messages.newest(tenant, session, limit);
}

uint64_t sqlite_storage::clear_messages(std::string_view tenant,
                                        const session_id& session) {
  return p_->messages.clear(tenant, session);
}

void sqlite_storage::append_audit(const audit_event& e) {
  p_->audit.append(e);
}

std::pair<int64_t, std::string>
sqlite_storage::last_audit(std::string_view tenant) {
  return p_->audit.last(tenant);
}

audit_page sqlite_storage::audit_events(const audit_filter& f) {
  return p_->audit.find(f);
}

std::vector<audit_event> sqlite_storage::audit_chain(std::string_view tenant,
                                                     int64_t after,
                                                     std::size_t limit) {
  return p_->audit.chain(tenant, after, limit);
}

uint64_t sqlite_storage::purge_audit(int64_t before, std::size_t limit) {
  return p_->audit.purge(before, limit);
}

} // namespace tenantd
