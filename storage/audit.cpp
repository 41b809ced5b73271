#include "storage/audit.hpp"

namespace tenantd {

namespace {

constexpr const char* columns =
  "row, seq, id, at, tenant, actor_kind, actor_id, actor_tenant, action, "
  "target, outcome, request_id, source, changes, prev_hash, hash";

// An event from a row of `columns` (the row number at 0).
audit_event read_event(query& q) {
  audit_event e;
  e.seq = q.int64(1);
  e.id = q.text(2);
  e.at = q.int64(3);
  e.tenant = q.text(4);
  e.actor_kind = q.text(5);
  e.actor_id = q.text(6);
  e.actor_tenant = q.text(7);
  e.action = q.text(8);
  e.target = q.text(9);
  e.outcome = q.text(10);
  e.request_id = q.text(11);
  e.source = q.text(12);
  e.changes = q.text(13);
  e.prev_hash = q.text(14);
  e.hash = q.text(15);
  return e;
}

} // namespace

audit_table::audit_table(database& db)
  : db_(db),
    insert_{db.prepare(
      "INSERT INTO audit_events (seq, id, at, tenant, actor_kind, actor_id, "
      "actor_tenant, action, target, outcome, request_id, source, changes, "
      "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")},
    last_{db.prepare("SELECT seq, hash FROM audit_events WHERE tenant = ? "
                     "ORDER BY seq DESC LIMIT 1")},
    chain_{db.prepare((std::string{"SELECT "} + columns
                       + " FROM audit_events WHERE tenant = ? AND seq > ? "
                         "ORDER BY seq LIMIT ?")
                        .c_str())},
    purge_{db.prepare("DELETE FROM audit_events WHERE row IN (SELECT row FROM "
                      "audit_events WHERE at < ? ORDER BY row LIMIT ?)")} {
}

void audit_table::append(const audit_event& e) {
  query{db_, insert_}
    .bind(e.seq)
    .bind(e.id)
    .bind(e.at)
    .bind(e.tenant)
    .bind(e.actor_kind)
    .bind(e.actor_id)
    .bind(e.actor_tenant)
    .bind(e.action)
    .bind(e.target)
    .bind(e.outcome)
    .bind(e.request_id)
    .bind(e.source)
    .bind(e.changes)
    .bind(e.prev_hash)
    .bind(e.hash)
    .run();
}

std::pair<int64_t, std::string> audit_table::last(std::string_view tenant) {
  query q{db_, last_};
  q.bind(tenant);
  if (!q.next())
    return {0, {}};
  return {q.int64(0), q.text(1)};
}

audit_page audit_table::find(const audit_filter& f) {
  // Filters vary per request: built and prepared per query (a query is an
  // operator's, not a hot path). Values are bound, never spliced.
  std::string sql = std::string{"SELECT "} + columns
                    + " FROM audit_events WHERE 1";
  if (!f.every_chain)
    sql += " AND tenant = :tenant";
  if (f.from != 0)
    sql += " AND at >= :from";
  if (f.to != 0)
    sql += " AND at < :to";
  if (!f.action.empty())
    sql += " AND action = :action";
  std::string kind = f.actor;
  std::string id;
  if (auto colon = kind.find(':'); colon != std::string::npos) {
    id = kind.substr(colon + 1);
    kind = kind.substr(0, colon);
  }
  if (!kind.empty())
    sql += " AND actor_kind = :kind";
  if (!id.empty())
    sql += " AND actor_id = :id";
  if (f.before != 0)
    sql += " AND row < :before";
  sql += " ORDER BY row DESC LIMIT :limit";
  auto stmt = db_.prepare(sql.c_str());
  query q{db_, stmt};
  if (!f.every_chain)
    q.bind(f.tenant);
  if (f.from != 0)
    q.bind(f.from);
  if (f.to != 0)
    q.bind(f.to);
  if (!f.action.empty())
    q.bind(f.action);
  if (!kind.empty())
    q.bind(kind);
  if (!id.empty())
    q.bind(id);
  if (f.before != 0)
    q.bind(f.before);
  // One more than asked: whether there is a next page.
  q.bind(static_cast<int64_t>(f.limit + 1));
  audit_page page;
  int64_t last_row = 0;
  while (q.next()) {
    if (page.events.size() == f.limit) {
      page.next = last_row;
      break;
    }
    last_row = q.int64(0);
    page.events.push_back(read_event(q));
  }
  return page;
}

std::vector<audit_event> audit_table::chain(std::string_view tenant,
                                            int64_t after, std::size_t limit) {
  std::vector<audit_event> events;
  query q{db_, chain_};
  q.bind(tenant).bind(after).bind(static_cast<int64_t>(limit));
  while (q.next())
    events.push_back(read_event(q));
  return events;
}

uint64_t audit_table::purge(int64_t before, std::size_t limit) {
  return query{db_, purge_}.bind(before).bind(static_cast<int64_t>(limit)).run();
}

} // namespace tenantd
