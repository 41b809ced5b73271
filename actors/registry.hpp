#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>

#include "actors/interfaces.hpp"
#include "actors/tenant.hpp"
#include "core/settings.hpp"
#include "metrics/metrics.hpp"

namespace tenantd {

struct registry_state {
  static constexpr const char* name = "registry";

  /// What the directory keeps about one tenant; its config and sessions
  /// live in its actor while active, in the store otherwise.
  struct entry {
    std::string id;
    tenant_status status = tenant_status::active;
    /// Null while passivated (or given up on).
    tenant_actor actor;
    /// A passivated actor still storing its last state; the next actor
    /// waits for it before loading.
    tenant_actor retiring;
    caf::actor_clock::time_point started{};
    /// Consecutive failures within `quick_failure` of an activation.
    uint32_t quick_failures = 0;
    /// The tenant's Prometheus series, handed to each of its actors.
    metrics::tenant_series* series = nullptr;
  };

  /// A tenant actor that fails this soon after activating,
  /// `max_quick_failures` times in a row, is given up on instead of being
  /// reactivated in a busy loop.
  static constexpr std::chrono::seconds quick_failure{1};
  static constexpr uint32_t max_quick_failures = 5;

  store_actor store;
  lifecycle_settings settings;
  /// Given to every tenant actor it spawns.
  tenant_services services;
  metrics::metrics* metrics = nullptr;
  /// Where the active tenants are published (GET / reads it).
  std::shared_ptr<active_tenants_view> published;
  /// Tenants in creation order; an index never changes.
  std::vector<entry> tenants;
  std::unordered_map<std::string, uint32_t> by_id;
  /// Active and retiring actors.
  std::unordered_map<caf::actor_addr, uint32_t> by_actor;
  /// Ids being stored by a create, not yet routable.
  std::unordered_set<std::string> creating;
  /// Askers of a passivation of all tenants, answered once no tenant actor
  /// is left.
  std::vector<caf::typed_response_promise<caf::ok_atom>> stopping;
  /// Tenants by status, as published to metrics.
  uint64_t tenants_in[3] = {0, 0, 0};

  /// Counts `status` one more (+1) or one less (-1) and publishes it.
  void count_status(tenant_status status, int delta);

  /// The ids of the active tenants, in creation order.
  std::vector<std::string> active_ids() const;

  /// Publishes active_ids() to `published`.
  void publish();

  /// Stops the tenant actors with the registry (CAF destroys the state
  /// when the actor terminates, whatever the exit reason).
  ~registry_state();
};

/// The directory of tenants: activates tenant actors on demand, passivates
/// idle ones (on their own report) and applies admin changes once the
/// store has them.
/// @param self The actor handle.
/// @param store The store every change goes through.
/// @param settings Session TTL, idle time and internal timeout.
/// @param tenants The stored tenants, in creation order (all passivated).
/// @param metrics Where tenants and their actors are counted; must outlive
///        the registry and its tenant actors.
/// @param published Where the active tenants are published.
registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self,
         store_actor store, lifecycle_settings settings,
         std::vector<tenant_summary> tenants, metrics::metrics* metrics,
         std::shared_ptr<active_tenants_view> published,
         tenant_services services);

} // namespace tenantd
