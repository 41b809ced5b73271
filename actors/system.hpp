#pragma once

// Spawn wiring for the actor layer, kept apart from the behaviours.

#include <cstddef>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/actors.hpp"

namespace tenantd {

/// Registers the message types and the error category of actors.hpp.
/// Call once on every actor_system_config before creating the system.
void register_actor_types(caf::actor_system_config& cfg);

/// Registers the types and tunes the scheduler for a service: `threads`
/// workers that poll a while before napping (see system.cpp).
void configure_actor_system(caf::actor_system_config& cfg,
                            std::size_t threads);

/// Spawns the registry with one tenant actor per config.
registry_actor spawn_registry(caf::actor_system& sys,
                              std::vector<tenant_config> configs);

} // namespace tenantd
