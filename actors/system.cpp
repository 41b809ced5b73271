#include "actors/system.hpp"

#include <caf/all.hpp>

#include "actors/registry.hpp"
#include "actors/store.hpp"
#include "core/clock.hpp"

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
  // A busy actor yields its thread after this many messages (CAF's default
  // is no limit): a tenant flooding its own mailbox delays another tenant
  // by at most this many of its messages (each bounded by MAX_REPLY_BYTES),
  // not by its whole mailbox.
  cfg.set("scheduler.max-throughput", max_throughput_per_turn);
}

actor_layer::actor_layer(store_actor store, registry_actor registry,
                         std::shared_ptr<const active_tenants_view> active,
                         std::string location, std::size_t added)
  : store_(std::move(store)),
    registry_(std::move(registry)),
    active_(std::move(active)),
    location_(std::move(location)),
    added_(added) {
}

actor_layer::~actor_layer() {
  stop();
}

void actor_layer::stop() {
  if (registry_)
    caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
  if (store_)
    caf::anon_send_exit(store_, caf::exit_reason::user_shutdown);
}

actor_layer start_actors(caf::actor_system& sys, actor_options options) {
  auto now = options.now != 0 ? options.now : unix_millis();
  // Everything start-up needs from storage is read here, before the store
  // owns it: from then on only the store's thread touches it.
  auto opened = open_storage(options.data_dir, options.bootstrap, now,
                             options.tenant_history_limit);
  auto location = opened.db->location();
  auto settings = options.lifecycle;
  // Every call of the store may block on disk: never on a scheduler worker.
  std::shared_ptr<storage_backend> db = std::move(opened.db);
  store_actor st = options.detached_store
                     ? sys.spawn<caf::detached>(store, std::move(db), settings)
                     : sys.spawn(store, std::move(db), settings);
  // Published before anything can read it: the service accepts requests
  // as soon as this returns, maybe before the registry first runs.
  auto active = std::make_shared<active_tenants_view>();
  active_tenants_view::ids ids;
  for (auto& t : opened.tenants)
    if (t.status == tenant_status::active)
      ids.push_back(t.id);
  active->publish(std::move(ids));
  auto reg = sys.spawn(registry, st, settings, std::move(opened.tenants),
                       options.metrics, active, options.services);
  return actor_layer{st, reg, active, location, opened.added};
}

} // namespace tenantd
