#include "storage/tenants.hpp"

#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tenantd {

namespace json = boost::json;

namespace {

tenant_status read_status(const std::string& path, const std::string& text) {
  tenant_status status;
  if (!from_string(text, status))
    throw storage_error(path + ": unknown stored tenant status '" + text + "'");
  return status;
}

// The context a secret of tenant `id` at `field` is sealed under: a sealed
// value moved to another tenant or field does not open.
std::string seal_context(std::string_view id, std::string_view field) {
  return std::string{id} + ":" + std::string{field};
}

tenant_config read_config(const std::string& path, const std::string& id,
                          const std::string& text,
                          const crypto::secret_box& box) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec)
    throw storage_error(path + ": a stored tenant config is not JSON ("
                        + ec.message() + ")");
  for_each_secret(value, [&](std::string_view field, json::value& secret) {
    auto* sealed = secret.if_string();
    auto plain = sealed != nullptr ? box.open(*sealed, seal_context(id, field))
                                   : std::nullopt;
    if (!plain)
      throw storage_error(path + ": tenant " + id + "'s " + std::string{field}
                          + " does not open under the config key (was "
                            "config-key replaced?)");
    secret = *plain;
  });
  auto parsed = parse_tenant_config(value);
  if (auto* errors = std::get_if<std::vector<config_error>>(&parsed)) {
    auto& first = errors->front();
    throw storage_error(path + ": a stored tenant config is invalid ("
                        + first.field + " " + first.problem + ")");
  }
  return std::get<tenant_config>(std::move(parsed));
}

} // namespace

std::string tenants_table::stored_form(const tenant_config& config) const {
  json::value value = to_json(config, secret_fields::included);
  for_each_secret(value, [&](std::string_view field, json::value& secret) {
    if (auto* plain = secret.if_string())
      secret = box_.seal(*plain, seal_context(config.id, field));
  });
  return json::serialize(value);
}

tenants_table::tenants_table(database& db, std::size_t history_limit,
                             const crypto::secret_box& box)
  : db_(db), box_(box),
    list_{db.prepare("SELECT id, status FROM tenants ORDER BY seq")},
    find_{db.prepare("SELECT config, status, created_at, updated_at, chats, "
                     "rate_limited FROM tenants WHERE id = ?")},
    insert_{db.prepare("INSERT INTO tenants (id, status, config, created_at, "
                       "updated_at) VALUES (?, 'active', ?, ?, ?) "
                       "ON CONFLICT (id) DO NOTHING")},
    update_config_{db.prepare("UPDATE tenants SET config = ?, updated_at = ? "
                              "WHERE id = ?")},
    update_status_{db.prepare("UPDATE tenants SET status = ?, updated_at = ? "
                              "WHERE id = ?")},
    update_counters_{db.prepare("UPDATE tenants SET chats = ?, "
                                "rate_limited = ? WHERE id = ?")},
    // The history row copies the tenant row as the change left it.
    insert_history_{db.prepare("INSERT INTO tenant_history (tenant, at, "
                               "action, status, config) SELECT id, ?, ?, "
                               "status, config FROM tenants WHERE id = ?")},
    history_limit_(history_limit),
    // Every row of the tenant older than its limit-th newest (by the index
    // on tenant, whose entries are in seq order).
    trim_history_{db.prepare("DELETE FROM tenant_history WHERE tenant = ?1 "
                             "AND seq <= (SELECT seq FROM tenant_history "
                             "WHERE tenant = ?1 ORDER BY seq DESC "
                             "LIMIT 1 OFFSET ?2)")},
    history_size_{db.prepare("SELECT count(*) FROM tenant_history "
                             "WHERE tenant = ?")} {
}

std::vector<tenant_summary> tenants_table::list() {
  std::vector<tenant_summary> result;
  query q{db_, list_};
  while (q.next())
    result.push_back({q.text(0), read_status(db_.path(), q.text(1))});
  return result;
}

std::optional<stored_tenant> tenants_table::find(std::string_view id) {
  query q{db_, find_};
  q.bind(id);
  if (!q.next())
    return std::nullopt;
  stored_tenant t;
  t.config = read_config(db_.path(), std::string{id}, q.text(0), box_);
  t.status = read_status(db_.path(), q.text(1));
  t.created_at = q.int64(2);
  t.updated_at = q.int64(3);
  t.chats = static_cast<uint64_t>(q.int64(4));
  t.rate_limited = static_cast<uint64_t>(q.int64(5));
  return t;
}

bool tenants_table::insert(const tenant_config& config, int64_t now,
                           std::string_view action) {
  write_scope scope{db_};
  auto added = query{db_, insert_}
                 .bind(config.id)
                 .bind(stored_form(config))
                 .bind(now)
                 .bind(now)
                 .run();
  if (added == 0)
    return false; // nothing written; the scope ends the savepoint
  add_history(config.id, action, now);
  scope.done();
  return true;
}

void tenants_table::update_config(const tenant_config& config, int64_t now) {
  write_scope scope{db_};
  query{db_, update_config_}
    .bind(stored_form(config))
    .bind(now)
    .bind(config.id)
    .run();
  add_history(config.id, "update", now);
  scope.done();
}

void tenants_table::set_status(std::string_view id, tenant_status status,
                               int64_t now) {
  write_scope scope{db_};
  auto changed = query{db_, update_status_}
                   .bind(to_string(status))
                   .bind(now)
                   .bind(id)
                   .run();
  if (changed == 0)
    throw storage_error(db_.path() + ": cannot set the status of unknown "
                        "tenant '" + std::string{id} + "'");
  add_history(id, to_string(status), now);
  scope.done();
}

void tenants_table::set_counters(std::string_view id, uint64_t chats,
                                 uint64_t rate_limited) {
  query{db_, update_counters_}
    .bind(static_cast<int64_t>(chats))
    .bind(static_cast<int64_t>(rate_limited))
    .bind(id)
    .run();
}

void tenants_table::add_history(std::string_view id, std::string_view action,
                                int64_t now) {
  query{db_, insert_history_}.bind(now).bind(action).bind(id).run();
  if (history_limit_ != 0)
    query{db_, trim_history_}
      .bind(id)
      .bind(static_cast<int64_t>(history_limit_))
      .run();
}

uint64_t tenants_table::history_size(std::string_view id) {
  query q{db_, history_size_};
  q.bind(id).next();
  return static_cast<uint64_t>(q.int64(0));
}

} // namespace tenantd
