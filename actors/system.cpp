#include "actors/system.hpp"

#include <caf/all.hpp>

#include "actors/registry.hpp"
#include "actors/store.hpp"

namespace tenantd {

void configure_actor_system(caf::actor_system_config& cfg,
                            std::size_t threads) {
  register_actor_types(cfg);
  // CAF starts at least 4 workers by default, even on 2 cores.
  cfg.set("scheduler.max-threads", threads);
  // Spin a little longer before napping: a worker that naps (50 us in
  // CAF's moderate phase) between asks adds latency and wake-ups. On the
  // 2-core bench, POST /chat went from ~42k to ~46k req/s
  // (docs/benchmarks.md).
  cfg.set("work-stealing.aggressive-poll-attempts", std::size_t{1000});
}

store_actor spawn_store(caf::actor_system& sys, std::shared_ptr<database> db,
                        lifecycle_settings settings, bool detached) {
  // Every call of the store may block on disk: never on a scheduler worker.
  if (detached)
    return sys.spawn<caf::detached>(store, std::move(db), settings);
  return sys.spawn(store, std::move(db), settings);
}

registry_actor spawn_registry(caf::actor_system& sys, store_actor store,
                              lifecycle_settings settings,
                              std::vector<tenant_summary> tenants,
                              metrics::metrics& metrics) {
  return sys.spawn(registry, std::move(store), settings, std::move(tenants),
                   &metrics);
}

} // namespace tenantd
