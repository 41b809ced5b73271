#pragma once

// The one wiring of the actor layer: open the storage (adding the bootstrap
// tenants), read what start-up needs from it, hand it to the store, spawn
// the registry over the stored tenants. The service (app/), the tests, the
// fuzz targets and the benchmarks all start the actors through
// start_actors; nothing else spawns a store or a registry.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/tenant.hpp"
#include "core/settings.hpp"

namespace tenantd::metrics {
class metrics;
} // namespace tenantd::metrics

namespace tenantd {

/// Messages an actor handles before it yields its scheduler thread to the
/// next actor waiting (fairness between tenants).
constexpr std::size_t max_throughput_per_turn = 8;

/// Tunes the scheduler for a service: `threads` workers that poll a while
/// before napping and take turns between actors (see system.cpp), and
/// registers the message types.
void configure_actor_system(caf::actor_system_config& cfg,
                            std::size_t threads);

struct actor_options {
  /// Where the storage lives (created if missing).
  std::string data_dir;
  /// Tenants to add if storage has never seen their ids.
  std::vector<tenant_config> bootstrap;
  lifecycle_settings lifecycle;
  /// History entries kept per tenant, newest first (TENANT_HISTORY_LIMIT;
  /// 0 = all).
  std::size_t tenant_history_limit = 100;
  /// Counts tenants and their actors; must outlive the actors.
  metrics::metrics* metrics = nullptr;
  /// When the bootstrap tenants are created (Unix ms); 0 = now.
  int64_t now = 0;
  /// The password pool and cost every tenant uses (see tenant_services).
  tenant_services services;
  /// The store gets a thread of its own (its calls block on disk); false
  /// only under CAF's test coordinator, which runs every actor itself.
  bool detached_store = true;
};

/// The running store and registry. Stops both when destroyed (also when a
/// later part of start-up fails: else the actor system's destructor would
/// wait for them forever, their timers keep them alive).
class actor_layer {
public:
  actor_layer(store_actor store, registry_actor registry,
              std::shared_ptr<const active_tenants_view> active,
              std::string location, std::size_t added);
  ~actor_layer();

  actor_layer(actor_layer&&) = default;
  actor_layer& operator=(actor_layer&&) = default;

  const store_actor& store() const noexcept {
    return store_;
  }
  const registry_actor& registry() const noexcept {
    return registry_;
  }
  /// What the registry publishes of the active tenants.
  const std::shared_ptr<const active_tenants_view>& active() const noexcept {
    return active_;
  }
  /// Where the data lives (the database file).
  const std::string& location() const noexcept {
    return location_;
  }
  /// How many bootstrap tenants were new.
  std::size_t added() const noexcept {
    return added_;
  }

  /// Sends both actors an exit now (idempotent).
  void stop();

private:
  store_actor store_;
  registry_actor registry_;
  std::shared_ptr<const active_tenants_view> active_;
  std::string location_;
  std::size_t added_ = 0;
};

/// Opens the storage in options.data_dir, adds the bootstrap tenants it
/// lacks, and spawns the store and the registry. Throws storage_error (from
/// storage/backend.hpp) if the storage cannot be opened or written.
actor_layer start_actors(caf::actor_system& sys, actor_options options);

} // namespace tenantd
