#pragma once

// The session_messages table: each session's conversation with its
// tenant's AI upstream, a row per turn (user or assistant) with its token
// count. Rows are in insertion order (seq); an index on (session, seq)
// finds a session's. A trigger on sessions deletes a session's rows with
// it, so history expires with its session and goes with an archived
// tenant's sessions, in the same transaction. Used by sqlite_storage only.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/database.hpp"

namespace tenantd {

class messages_table {
public:
  explicit messages_table(database& db);

  /// Appends `messages` (their seq set by the table) to session `session`
  /// of tenant `tenant`, stored in row `session_row` of sessions
  /// (sessions_table::row), if the tenant holds that session there.
  void append(std::string_view tenant, const session_id& session,
              int64_t session_row,
              const std::vector<stored_message>& messages);

  /// Up to `limit` messages of the session after seq `after`, oldest
  /// first.
  message_page page(std::string_view tenant, const session_id& session,
                    int64_t after, std::size_t limit);

  /// The session's newest `limit` messages, oldest first.
  std::vector<stored_message> newest(std::string_view tenant,
                                     const session_id& session,
                                     std::size_t limit);

  /// Deletes the session's messages; returns how many.
  uint64_t clear(std::string_view tenant, const session_id& session);

private:
  database& db_;
  statement_ptr insert_;
  statement_ptr page_;
  statement_ptr newest_;
  statement_ptr clear_;
};

} // namespace tenantd
