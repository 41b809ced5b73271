#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>

#include "actors/actors.hpp"
#include "actors/session_table.hpp"

namespace tenantd {

struct registry_state {
  static constexpr const char* name = "registry";

  struct entry {
    tenant_config config;
    /// Null once the tenant kept failing and is no longer restarted.
    tenant_actor actor;
    caf::actor_clock::time_point started{};
    /// Consecutive failures within `quick_failure` of a (re)start.
    uint32_t quick_failures = 0;
  };

  /// A tenant that fails this soon after starting, `max_quick_failures`
  /// times in a row, is given up on instead of restarted in a busy loop.
  static constexpr std::chrono::seconds quick_failure{1};
  static constexpr uint32_t max_quick_failures = 5;

  /// Tenants in the order they were added; an index never changes.
  std::vector<entry> tenants;
  std::unordered_map<std::string, uint32_t> by_id;
  std::unordered_map<caf::actor_addr, uint32_t> by_actor;
  /// Which tenant issued each session id: routing data only, so a session
  /// shown to the wrong tenant is refused (403) without asking any tenant.
  /// The session itself lives in its tenant actor.
  session_table<uint32_t, 256> directory;

  /// Stops the tenant actors with the registry.
  ~registry_state();
};

/// Routes requests to tenant actors, spawns them (at start and at runtime)
/// and restarts any that fails, from its config.
/// @param self The actor handle.
/// @param configs The initial tenants, in file order, already validated and
///        free of duplicate ids.
registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self,
         std::vector<tenant_config> configs);

} // namespace tenantd
