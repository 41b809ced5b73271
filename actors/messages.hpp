#pragma once

// The answers the actor interfaces (interfaces.hpp) give; their inspect
// overloads are in type_ids.hpp.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.hpp"

namespace tenantd {

/// The answer to opening a session: its id and the tenant's public face.
struct session_grant {
  std::string session_id;
  std::string tenant_id;
  std::string name;
  std::string welcome;
};

/// The state of a tenant's chat window after a chat was admitted or refused,
/// in the terms of the IETF RateLimit header fields. `limit` 0 = unlimited.
struct rate_window {
  uint32_t limit = 0;
  uint32_t window_seconds = 0;
  uint32_t remaining = 0;
  /// Whole seconds until the window resets (at least 1 while limited).
  uint32_t reset_seconds = 0;
};

/// The answer to a chat: either a reply or, when `limited`, a refusal by the
/// tenant's rate limit (reply and model are empty then).
struct chat_result {
  bool limited = false;
  std::string reply;
  std::string model;
  rate_window window;
};

} // namespace tenantd
