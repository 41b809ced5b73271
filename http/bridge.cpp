#include "http/bridge.hpp"

#include <caf/all.hpp>

namespace tenantd::http {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;

// Fails every ask whose deadline has passed; ticks again while any remain.
void expire_overdue(bridge_actor_pointer self) {
  auto& st = self->state;
  st.tick_scheduled = false;
  auto now = self->clock().now();
  while (!st.asks.empty() && st.asks.begin()->second.deadline <= now) {
    auto expire = std::move(st.asks.begin()->second.expire);
    st.asks.erase(st.asks.begin());
    st.counters->in_flight.fetch_sub(1, std::memory_order_relaxed);
    st.counters->timed_out.fetch_add(1, std::memory_order_relaxed);
    expire();
  }
  if (!st.asks.empty()) {
    st.tick_scheduled = true;
    self->delayed_send(self, bridge_state::tick, tick_atom::value);
  }
}

caf::behavior bridge_actor(bridge_actor_pointer self,
                           std::shared_ptr<bridge_counters> counters) {
  self->state.counters = std::move(counters);
  return {
    [self](ask_job& job) { job.run(self); },
    [self](tick_atom) { expire_overdue(self); },
  };
}

} // namespace

uint64_t track_ask(bridge_actor_pointer self, caf::timespan timeout,
                   std::function<void()> expire) {
  auto& st = self->state;
  auto id = st.next_ask++;
  st.counters->in_flight.fetch_add(1, std::memory_order_relaxed);
  st.asks.emplace_hint(st.asks.end(), id,
                       bridge_state::pending{self->clock().now() + timeout,
                                             std::move(expire)});
  if (!st.tick_scheduled) {
    st.tick_scheduled = true;
    self->delayed_send(self, bridge_state::tick, tick_atom::value);
  }
  return id;
}

bool settle_ask(bridge_actor_pointer self, uint64_t id) {
  if (self->state.asks.erase(id) == 0)
    return false;
  self->state.counters->in_flight.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bridge::bridge(caf::actor_system& sys, registry_actor registry,
               std::chrono::milliseconds timeout, std::size_t actors)
  : registry_(std::move(registry)),
    timeout_(std::chrono::duration_cast<caf::timespan>(timeout)),
    counters_(std::make_shared<bridge_counters>()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(actors, 1); ++i)
    actors_.push_back(sys.spawn(bridge_actor, counters_));
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
