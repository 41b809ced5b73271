#pragma once

// What the service knows about tenants and sessions, as plain values: the
// admin API shows them, storage keeps them, actors carry them in messages
// (actors/type_ids.hpp).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.hpp"
#include "core/session_id.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

/// Where a tenant is in its lifecycle. Only an active tenant accepts
/// sessions and chats; a suspended one keeps its sessions for later; an
/// archived one is gone for good (its id stays taken).
enum class tenant_status : uint8_t { active, suspended, archived };

/// "active", "suspended" or "archived".
std::string_view to_string(tenant_status x);

/// Parses the names to_string gives; false for anything else.
bool from_string(std::string_view s, tenant_status& out);

/// Live figures about one tenant.
struct tenant_stats {
  /// Whether its actor is running (not passivated).
  bool active = false;
  /// Sessions not expired.
  uint64_t sessions = 0;
  /// Chats answered since the tenant was created.
  uint64_t chats = 0;
  /// Chats refused by the rate limit since the tenant was created.
  uint64_t rate_limited = 0;
};

/// A tenant as the admin API shows it. Times are Unix milliseconds.
struct tenant_record {
  tenant_config config;
  tenant_status status = tenant_status::active;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  tenant_stats stats;
};

/// One line of a tenant listing.
struct tenant_summary {
  std::string id;
  tenant_status status = tenant_status::active;
};

/// One page of the tenant listing, in creation order.
struct tenant_page {
  std::vector<tenant_summary> tenants;
  /// Tenants in the whole listing.
  uint64_t total = 0;
};

/// A session as the store keeps it. Times are Unix milliseconds.
struct stored_session {
  session_id id;
  int64_t created_at = 0;
  int64_t last_used = 0;
  /// last_used plus the tenant's session TTL: the store drops the session
  /// at this time even while its tenant is passivated.
  int64_t expires_at = 0;
  /// The principal that opened it ("user:<id>", "key:<id>"), or empty:
  /// opened without credentials, anyone's who knows the id.
  std::string owner;
};

/// Part of a tenant's unexpired sessions, read in bounded pages so that a
/// tenant with millions never holds the store for long.
struct session_page {
  std::vector<stored_session> sessions;
  /// Where the next page starts (pass it as `after`), or 0: this was the
  /// last page.
  int64_t next = 0;
};

/// One turn of a session's conversation with its tenant's AI upstream, as
/// stored (session_messages).
struct stored_message {
  /// Its place in the store: increasing, the cursor of a page.
  int64_t seq = 0;
  /// Unix ms.
  int64_t at = 0;
  /// "user" or "assistant".
  std::string role;
  std::string content;
  /// Its tokens as the upstream counted them (prompt tokens for a user's
  /// turn, completion tokens for the answer), or estimated (4 bytes a
  /// token) when the upstream said none.
  uint32_t tokens = 0;
  bool estimated = false;
  /// For an answer, the model that gave it.
  std::string model;
};

/// Part of a session's conversation, oldest first.
struct message_page {
  std::vector<stored_message> messages;
  /// Pass as `after` for the next page; 0: this was the last.
  int64_t next = 0;
};

/// Everything a tenant actor needs to (re)activate, with the first page of
/// its sessions (most tenants have no other; the rest it reads page by
/// page).
struct tenant_snapshot {
  tenant_config config;
  tenant_status status = tenant_status::active;
  session_page sessions;
  uint64_t chats = 0;
  uint64_t rate_limited = 0;
  std::vector<stored_user> users;
  std::vector<stored_api_key> keys;
};

} // namespace tenantd
