#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>

#include "actors/actors.hpp"

namespace tenantd {

struct registry_state {
  static constexpr const char* name = "registry";

  struct entry {
    tenant_config config;
    tenant_actor actor;
  };

  /// Tenants in the order they were added; an index never changes.
  std::vector<entry> tenants;
  std::unordered_map<std::string, uint32_t> by_id;
  std::unordered_map<caf::actor_addr, uint32_t> by_actor;
  /// Which tenant issued each session id: routing data only, so a session
  /// shown to the wrong tenant is refused (403) without asking any tenant.
  /// The session itself lives in its tenant actor.
  std::unordered_map<session_id, uint32_t> directory;

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
