#include "http/in_flight_gate.hpp"

#include <algorithm>
#include <functional>
#include <iterator>

namespace tenantd::http {

class in_flight_gate::shard_lock {
public:
  explicit shard_lock(shard& s) : s_(s) {
    while (s_.busy.test_and_set(std::memory_order_acquire))
      ; // held for a few hash-map steps only
  }
  ~shard_lock() {
    s_.busy.clear(std::memory_order_release);
  }
  shard_lock(const shard_lock&) = delete;
  shard_lock& operator=(const shard_lock&) = delete;

private:
  shard& s_;
};

in_flight_gate::shard& in_flight_gate::shard_of(const std::string& tenant) {
  return shards_[std::hash<std::string>{}(tenant) % shards_.size()];
}

bool in_flight_gate::try_enter(const std::string& tenant) {
  auto& s = shard_of(tenant);
  shard_lock guard{s};
  auto it = s.counts.find(tenant);
  if (it == s.counts.end()) {
    if (s.counts.size() >= s.prune_size) {
      for (auto i = s.counts.begin(); i != s.counts.end();)
        i = i->second == 0 ? s.counts.erase(i) : std::next(i);
      s.prune_size = std::max(min_prune_size, 2 * s.counts.size());
    }
    it = s.counts.emplace(tenant, 0).first;
  }
  if (it->second >= cap_)
    return false;
  ++it->second;
  return true;
}

void in_flight_gate::leave(const std::string& tenant) {
  auto& s = shard_of(tenant);
  shard_lock guard{s};
  auto it = s.counts.find(tenant);
  if (it != s.counts.end() && it->second > 0)
    --it->second;
}

std::size_t in_flight_gate::in_flight(const std::string& tenant) {
  auto& s = shard_of(tenant);
  shard_lock guard{s};
  auto it = s.counts.find(tenant);
  return it == s.counts.end() ? 0 : it->second;
}

std::size_t in_flight_gate::entries() {
  std::size_t n = 0;
  for (auto& s : shards_) {
    shard_lock guard{s};
    n += s.counts.size();
  }
  return n;
}

} // namespace tenantd::http
