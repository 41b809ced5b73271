#include "http/bridge.hpp"

#include <caf/all.hpp>

namespace tenantd::http {

namespace {

caf::behavior bridge_actor(caf::event_based_actor* self) {
  return {
    [self](ask_job& job) { job.run(self); },
  };
}

} // namespace

bridge::bridge(caf::actor_system& sys, registry_actor registry,
               std::chrono::milliseconds timeout, std::size_t actors)
  : registry_(std::move(registry)),
    timeout_(std::chrono::duration_cast<caf::timespan>(timeout)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(actors, 1); ++i)
    actors_.push_back(sys.spawn(bridge_actor));
}

void bridge::stop() {
  for (auto& a : actors_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  actors_.clear();
}

bridge::~bridge() {
  stop();
}

const caf::actor& bridge::next_actor() {
  // Never called after stop(): the server has stopped by then.
  return actors_[next_.fetch_add(1, std::memory_order_relaxed)
                 % actors_.size()];
}

} // namespace tenantd::http
