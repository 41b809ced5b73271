#include "storage/sessions.hpp"

namespace tenantd {

sessions_table::sessions_table(database& db)
  : db_(db),
    // One statement checks the tenant, so a refusal changes nothing (the
    // id was checked in memory).
    insert_{db.prepare("INSERT INTO sessions (id, tenant, created_at, "
                       "last_used, expires_at, owner) SELECT ?, id, ?, ?, ?, "
                       "? FROM tenants WHERE id = ? AND status != 'archived'")},
    all_ids_{db.prepare("SELECT seq, id FROM sessions")},
    // A session is found by its seq from the index; the id is checked too,
    // since seqs of deleted last rows are given out again.
    touch_{db.prepare("UPDATE sessions SET last_used = ?, expires_at = ? "
                      "WHERE seq = ? AND id = ?")},
    remove_{db.prepare("DELETE FROM sessions WHERE seq = ? AND id = ?")},
    // Only while the tenant is archived (the archive may not have
    // committed), in batches: the store deletes them a batch per turn.
    remove_archived_{db.prepare(
      "DELETE FROM sessions WHERE seq IN (SELECT seq FROM sessions WHERE "
      "tenant = ?1 AND EXISTS (SELECT 1 FROM tenants WHERE id = ?1 AND "
      "status = 'archived') ORDER BY seq LIMIT ?2) RETURNING id")},
    archived_with_sessions_{db.prepare(
      "SELECT id FROM tenants WHERE status = 'archived' AND EXISTS (SELECT 1 "
      "FROM sessions WHERE tenant = tenants.id) ORDER BY seq")},
    retime_{db.prepare("UPDATE sessions SET expires_at = last_used + ? "
                       "WHERE tenant = ?")},
    page_{db.prepare("SELECT seq, id, created_at, last_used, expires_at, "
                     "owner FROM "
                     "sessions WHERE tenant = ? AND seq > ? AND expires_at > ? "
                     "ORDER BY seq LIMIT ?")},
    // An archived tenant's sessions, not yet deleted, are nobody's.
    count_{db.prepare("SELECT count(*) FROM sessions WHERE tenant = ?1 AND "
                      "expires_at > ?2 AND NOT EXISTS (SELECT 1 FROM tenants "
                      "WHERE id = ?1 AND status = 'archived')")},
    owner_{db.prepare("SELECT s.tenant FROM sessions s JOIN tenants t ON "
                      "t.id = s.tenant WHERE s.seq = ? AND s.id = ? AND "
                      "s.expires_at > ? AND t.status != 'archived'")},
    purge_{db.prepare("DELETE FROM sessions WHERE seq IN (SELECT seq FROM "
                      "sessions WHERE expires_at <= ? ORDER BY expires_at "
                      "LIMIT ?) RETURNING id")} {
  load_ids();
}

bool sessions_table::insert(std::string_view tenant_id,
                            const stored_session& s) {
  auto& index = ids();
  if (index.count(s.id) != 0)
    return false;
  auto added = query{db_, insert_}
                 .bind(s.id)
                 .bind(s.created_at)
                 .bind(s.last_used)
                 .bind(s.expires_at)
                 .bind(s.owner)
                 .bind(tenant_id)
                 .run();
  if (added == 0)
    return false; // unknown or archived tenant
  index.emplace(s.id, db_.last_insert_rowid());
  changed();
  return true;
}

void sessions_table::touch(const stored_session& s) {
  auto& index = ids();
  auto i = index.find(s.id);
  if (i == index.end())
    return;
  query{db_, touch_}
    .bind(s.last_used)
    .bind(s.expires_at)
    .bind(i->second)
    .bind(s.id)
    .run();
}

void sessions_table::remove(const session_id& id) {
  auto& index = ids();
  auto i = index.find(id);
  if (i == index.end())
    return;
  query{db_, remove_}.bind(i->second).bind(id).run();
  index.erase(i);
  changed();
}

uint64_t sessions_table::remove_archived(std::string_view tenant_id,
                                         std::size_t limit) {
  std::vector<session_id> deleted;
  {
    query q{db_, remove_archived_};
    q.bind(tenant_id).bind(static_cast<int64_t>(limit));
    while (q.next())
      deleted.push_back(q.id(0));
  }
  forget(deleted);
  return deleted.size();
}

std::vector<std::string> sessions_table::archived_with_sessions() {
  std::vector<std::string> ids;
  query q{db_, archived_with_sessions_};
  while (q.next())
    ids.push_back(q.text(0));
  return ids;
}

void sessions_table::retime(std::string_view tenant_id, int64_t ttl_ms) {
  query{db_, retime_}.bind(ttl_ms).bind(tenant_id).run();
}

session_page sessions_table::page(std::string_view tenant_id, int64_t now,
                                   int64_t after, std::size_t limit) {
  session_page result;
  result.sessions.reserve(limit);
  query q{db_, page_};
  q.bind(tenant_id).bind(after).bind(now).bind(static_cast<int64_t>(limit));
  int64_t last = after;
  while (q.next()) {
    last = q.int64(0);
    result.sessions.push_back(
      {q.id(1), q.int64(2), q.int64(3), q.int64(4), q.text(5)});
  }
  if (result.sessions.size() == limit)
    result.next = last;
  return result;
}

uint64_t sessions_table::count(std::string_view tenant_id, int64_t now) {
  query q{db_, count_};
  q.bind(tenant_id).bind(now).next();
  return static_cast<uint64_t>(q.int64(0));
}

std::string sessions_table::owner(const session_id& id, int64_t now) {
  auto& index = ids();
  auto i = index.find(id);
  if (i == index.end())
    return {};
  query q{db_, owner_};
  q.bind(i->second).bind(id).bind(now);
  return q.next() ? q.text(0) : std::string{};
}

int64_t sessions_table::row(const session_id& id) {
  auto& index = ids();
  auto i = index.find(id);
  return i == index.end() ? 0 : i->second;
}

uint64_t sessions_table::purge_expired(int64_t now, std::size_t limit) {
  std::vector<session_id> deleted;
  {
    query q{db_, purge_};
    q.bind(now).bind(static_cast<int64_t>(limit));
    while (q.next())
      deleted.push_back(q.id(0));
  }
  // Only once the statement is done: a failure keeps the rows.
  forget(deleted);
  return deleted.size();
}

void sessions_table::settle() {
  if (uncommitted_ && !db_.in_transaction())
    load_ids();
}

std::unordered_map<session_id, int64_t>& sessions_table::ids() {
  settle();
  return ids_;
}

void sessions_table::load_ids() {
  // Set until the scan is complete, so a failed reload is retried.
  uncommitted_ = true;
  ids_.clear();
  query q{db_, all_ids_};
  while (q.next())
    ids_[q.id(1)] = q.int64(0);
  uncommitted_ = false;
}

void sessions_table::changed() {
  // Outside a transaction the change is committed already.
  if (db_.in_transaction())
    uncommitted_ = true;
}

void sessions_table::forget(const std::vector<session_id>& deleted) {
  if (deleted.empty())
    return;
  auto& index = ids();
  for (auto& id : deleted)
    index.erase(id);
  changed();
}

} // namespace tenantd
