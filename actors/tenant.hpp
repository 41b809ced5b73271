#pragma once

#include <chrono>

#include "actors/actors.hpp"
#include "actors/reply_template.hpp"
#include "actors/session_table.hpp"

namespace tenantd {

/// What a tenant keeps per session.
struct session_record {
  caf::actor_clock::time_point created;
  caf::actor_clock::time_point last_used;
};

/// A fixed 10-second window counting admitted chats.
struct chat_window {
  caf::actor_clock::time_point start{};
  uint32_t admitted = 0;
};

struct tenant_state {
  static constexpr const char* name = "tenant";
  static constexpr std::chrono::seconds window_length{10};

  tenant_config config;
  reply_template reply;
  session_table<session_record, 16> sessions;
  chat_window window;

  /// Counts a chat at `now` against the window; fills `out` and returns
  /// whether the chat is admitted.
  bool admit(caf::actor_clock::time_point now, rate_window& out);
};

/// Serves one tenant.
/// @param self The actor handle.
/// @param config The tenant's config; its reply template must compile (see
///        parse_tenant_config), else the actor quits with a runtime error.
tenant_actor::behavior_type
tenant(tenant_actor::stateful_pointer<tenant_state> self, tenant_config config);

} // namespace tenantd
