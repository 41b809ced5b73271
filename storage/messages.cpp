#include "storage/messages.hpp"

#include <algorithm>

namespace tenantd {

namespace {

constexpr const char* columns
  = "seq, at, role, content, tokens, estimated, model";

stored_message read_message(query& q) {
  stored_message m;
  m.seq = q.int64(0);
  m.at = q.int64(1);
  m.role = q.text(2);
  m.content = q.text(3);
  m.tokens = static_cast<uint32_t>(q.int64(4));
  m.estimated = q.int64(5) != 0;
  m.model = q.text(6);
  return m;
}

} // namespace

messages_table::messages_table(database& db)
  : db_(db),
    // Only into a session the tenant holds: a report that comes after the
    // session expired (or for another tenant's session) adds nothing.
    insert_{db.prepare("INSERT INTO session_messages (tenant, session, at, "
                       "role, content, tokens, estimated, model) SELECT ?1, "
                       "?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM "
                       "sessions WHERE seq = ?9 AND id = ?2 AND tenant = ?1)")},
    page_{db.prepare((std::string{"SELECT "} + columns
                      + " FROM session_messages WHERE session = ? AND tenant "
                        "= ? AND seq > ? ORDER BY seq LIMIT ?")
                       .c_str())},
    newest_{db.prepare((std::string{"SELECT "} + columns
                        + " FROM session_messages WHERE session = ? AND "
                          "tenant = ? ORDER BY seq DESC LIMIT ?")
                         .c_str())},
    clear_{db.prepare("DELETE FROM session_messages WHERE session = ? AND "
                      "tenant = ?")} {
}

void messages_table::append(std::string_view tenant, const session_id& session,
                            int64_t session_row,
                            const std::vector<stored_message>& messages) {
  for (auto& m : messages)
    query{db_, insert_}
      .bind(tenant)
      .bind(session)
      .bind(m.at)
      .bind(m.role)
      .bind(m.content)
      .bind(static_cast<int64_t>(m.tokens))
      .bind(int64_t{m.estimated ? 1 : 0})
      .bind(m.model)
      .bind(session_row)
      .run();
}

message_page messages_table::page(std::string_view tenant,
                                  const session_id& session, int64_t after,
                                  std::size_t limit) {
  message_page result;
  query q{db_, page_};
  q.bind(session).bind(tenant).bind(after).bind(static_cast<int64_t>(limit));
  while (q.next())
    result.messages.push_back(read_message(q));
  if (result.messages.size() == limit && limit != 0)
    result.next = result.messages.back().seq;
  return result;
}

std::vector<stored_message> messages_table::newest(std::string_view tenant,
                                                   const session_id& session,
                                                   std::size_t limit) {
  std::vector<stored_message> result;
  query q{db_, newest_};
  q.bind(session).bind(tenant).bind(static_cast<int64_t>(limit));
  while (q.next())
    result.push_back(read_message(q));
  std::reverse(result.begin(), result.end());
  return result;
}

uint64_t messages_table::clear(std::string_view tenant,
                               const session_id& session) {
  return query{db_, clear_}.bind(session).bind(tenant).run();
}

} // namespace tenantd
