#include "storage/identity.hpp"

namespace tenantd {

namespace {

tenant_role role_of(const std::string& name) {
  auto role = tenant_role::member;
  from_string(name, role);
  return role;
}

} // namespace

identity_tables::identity_tables(database& db)
  : db_(db),
    users_{db.prepare("SELECT id, email, email_key, password_hash, role, "
                      "disabled, created_at, updated_at FROM users WHERE "
                      "tenant = ? ORDER BY seq")},
    // The tenant is checked in the same statement; OR IGNORE turns a taken
    // id or email into no row.
    insert_user_{db.prepare(
      "INSERT OR IGNORE INTO users (id, tenant, email, email_key, "
      "password_hash, role, disabled, created_at, updated_at) SELECT ?, id, "
      "?, ?, ?, ?, ?, ?, ? FROM tenants WHERE id = ? AND status != "
      "'archived'")},
    update_user_{db.prepare(
      "UPDATE users SET email = ?, email_key = ?, password_hash = ?, role = "
      "?, disabled = ?, updated_at = ? WHERE tenant = ? AND id = ?")},
    delete_user_{db.prepare("DELETE FROM users WHERE tenant = ? AND id = ?")},
    keys_{db.prepare("SELECT id, name, role, prefix, digest, created_at, "
                     "expires_at, last_used_at FROM api_keys WHERE tenant = ? "
                     "ORDER BY seq")},
    insert_key_{db.prepare(
      "INSERT OR IGNORE INTO api_keys (id, tenant, name, role, prefix, "
      "digest, created_at, expires_at) SELECT ?, id, ?, ?, ?, ?, ?, ? FROM "
      "tenants WHERE id = ? AND status != 'archived'")},
    delete_key_{db.prepare("DELETE FROM api_keys WHERE tenant = ? AND id = ?")},
    touch_key_{db.prepare("UPDATE api_keys SET last_used_at = ? WHERE tenant "
                          "= ? AND id = ? AND last_used_at < ?")} {
}

std::vector<stored_user> identity_tables::users(std::string_view tenant) {
  std::vector<stored_user> result;
  query q{db_, users_};
  q.bind(tenant);
  while (q.next()) {
    stored_user u;
    u.id = q.text(0);
    u.email = q.text(1);
    u.email_key = q.text(2);
    u.password_hash = q.text(3);
    u.role = role_of(q.text(4));
    u.disabled = q.int64(5) != 0;
    u.created_at = q.int64(6);
    u.updated_at = q.int64(7);
    result.push_back(std::move(u));
  }
  return result;
}

bool identity_tables::insert_user(std::string_view tenant,
                                  const stored_user& u) {
  return query{db_, insert_user_}
           .bind(u.id)
           .bind(u.email)
           .bind(u.email_key)
           .bind(u.password_hash)
           .bind(to_string(u.role))
           .bind(int64_t{u.disabled ? 1 : 0})
           .bind(u.created_at)
           .bind(u.updated_at)
           .bind(tenant)
           .run()
         == 1;
}

void identity_tables::update_user(std::string_view tenant,
                                  const stored_user& u) {
  query{db_, update_user_}
    .bind(u.email)
    .bind(u.email_key)
    .bind(u.password_hash)
    .bind(to_string(u.role))
    .bind(int64_t{u.disabled ? 1 : 0})
    .bind(u.updated_at)
    .bind(tenant)
    .bind(u.id)
    .run();
}

void identity_tables::delete_user(std::string_view tenant,
                                  std::string_view id) {
  query{db_, delete_user_}.bind(tenant).bind(id).run();
}

std::vector<stored_api_key>
identity_tables::api_keys(std::string_view tenant) {
  std::vector<stored_api_key> result;
  query q{db_, keys_};
  q.bind(tenant);
  while (q.next()) {
    stored_api_key k;
    k.id = q.text(0);
    k.name = q.text(1);
    k.role = role_of(q.text(2));
    k.prefix = q.text(3);
    k.digest = q.text(4);
    k.created_at = q.int64(5);
    k.expires_at = q.int64(6);
    k.last_used_at = q.int64(7);
    result.push_back(std::move(k));
  }
  return result;
}

bool identity_tables::insert_api_key(std::string_view tenant,
                                     const stored_api_key& k) {
  return query{db_, insert_key_}
           .bind(k.id)
           .bind(k.name)
           .bind(to_string(k.role))
           .bind(k.prefix)
           .bind(k.digest)
           .bind(k.created_at)
           .bind(k.expires_at)
           .bind(tenant)
           .run()
         == 1;
}

void identity_tables::delete_api_key(std::string_view tenant,
                                     std::string_view id) {
  query{db_, delete_key_}.bind(tenant).bind(id).run();
}

void identity_tables::touch_api_key(std::string_view tenant,
                                    std::string_view id, int64_t at) {
  query{db_, touch_key_}.bind(at).bind(tenant).bind(id).bind(at).run();
}

} // namespace tenantd
