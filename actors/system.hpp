#pragma once

// Spawn wiring for the actor layer, kept apart from the behaviours.

#include <cstddef>
#include <memory>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "core/settings.hpp"

namespace tenantd::metrics {
class metrics;
} // namespace tenantd::metrics

namespace tenantd {

/// Registers the types and tunes the scheduler for a service: `threads`
/// workers that poll a while before napping (see system.cpp).
void configure_actor_system(caf::actor_system_config& cfg,
                            std::size_t threads);

class database;

/// Spawns the store on `db`; `detached` gives it its own thread (always,
/// but under the deterministic test scheduler).
store_actor spawn_store(caf::actor_system& sys, std::shared_ptr<database> db,
                        lifecycle_settings settings, bool detached = true);

/// Spawns the registry over the stored `tenants` (all start passivated),
/// counting into `metrics` (which must outlive the actor system's actors).
registry_actor spawn_registry(caf::actor_system& sys, store_actor store,
                              lifecycle_settings settings,
                              std::vector<tenant_summary> tenants,
                              metrics::metrics& metrics);

} // namespace tenantd
