#include "http/in_flight_gate.hpp"

#include <functional>

namespace tenantd::http {

in_flight_gate::shard& in_flight_gate::shard_of(const std::string& tenant) {
  return shards_[std::hash<std::string>{}(tenant) % shards_.size()];
}

bool in_flight_gate::try_enter(const std::string& tenant) {
  auto& s = shard_of(tenant);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto& n = s.counts[tenant]; // a new entry starts at 0 < cap
  if (n >= cap_)
    return false;
  ++n;
  return true;
}

void in_flight_gate::leave(const std::string& tenant) {
  auto& s = shard_of(tenant);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto it = s.counts.find(tenant);
  if (it != s.counts.end() && --it->second == 0)
    s.counts.erase(it);
}

std::size_t in_flight_gate::in_flight(const std::string& tenant) {
  auto& s = shard_of(tenant);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto it = s.counts.find(tenant);
  return it == s.counts.end() ? 0 : it->second;
}

} // namespace tenantd::http
