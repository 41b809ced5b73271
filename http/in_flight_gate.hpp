#pragma once

// A cap on the asks in flight per tenant. A tenant flooded with requests
// would otherwise queue them without bound in front of its actor (memory,
// and answers that come too late to matter); past the cap its requests are
// refused at once with 503, while other tenants' requests pass as before.
//
// Counts live only while asks are in flight (an entry is dropped at zero),
// so made-up tenant ids cannot grow the table beyond the requests in
// flight.

#include <array>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tenantd::http {

class in_flight_gate {
public:
  /// @param cap Asks one tenant may have in flight (at least 1).
  explicit in_flight_gate(std::size_t cap) : cap_(cap) {
  }

  /// Counts one more ask for `tenant`, unless it has `cap` in flight
  /// already (then false, and nothing is counted). Any thread.
  bool try_enter(const std::string& tenant);

  /// Counts one ask for `tenant` as answered. Any thread.
  void leave(const std::string& tenant);

  /// Asks in flight for `tenant` (for tests).
  std::size_t in_flight(const std::string& tenant);

private:
  // Sharded by tenant so that I/O threads seldom wait for each other.
  struct shard {
    std::mutex mtx;
    std::unordered_map<std::string, std::size_t> counts;
  };

  shard& shard_of(const std::string& tenant);

  std::size_t cap_;
  std::array<shard, 16> shards_;
};

} // namespace tenantd::http
