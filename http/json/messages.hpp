#pragma once

// GET and DELETE /sessions/{id}/messages: the query and the page of a
// session's conversation.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/records.hpp"
#include "http/json/codec.hpp"

namespace tenantd::http {

struct messages_query {
  /// Required: sessions are the tenant's, as in the seed's /chat.
  std::string tenant_id;
  /// A page's `next` (0: from the first turn).
  int64_t after = 0;
  uint32_t limit = 100;
};

/// `tenant_id` (required), and with `paged` also `after` (a cursor) and
/// `limit` (1 to 1000); a 422 for anything else.
decoded<messages_query> decode_messages_query(std::string_view raw, bool paged);

/// {"session_id","messages":[{"seq","role","content","tokens","estimated",
/// "model"?,"at"}],"next": cursor or null}
std::string message_page_body(std::string_view session_id,
                              const message_page& page);

} // namespace tenantd::http
