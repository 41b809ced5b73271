#pragma once

// A cap on the asks in flight per tenant. A tenant flooded with requests
// would otherwise queue them without bound in front of its actor (memory,
// and answers that come too late to matter); past the cap its requests are
// refused at once with 503, while other tenants' requests pass as before.
//
// A tenant's count stays in the table at zero (no allocation per request).
// A shard reaching its pruning size drops its zero counts, and its next
// pruning size becomes twice what is left (at least `min_prune_size`): made-
// up tenant ids cannot grow the table beyond about twice the requests in
// flight plus 16 x min_prune_size, at an amortised constant cost.

#include <array>
#include <atomic>
#include <cstddef>
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

  /// Tenants in the table, idle ones included (for tests).
  std::size_t entries();

private:
  static constexpr std::size_t min_prune_size = 1024;

  // Sharded by tenant so that threads seldom meet; a spin lock, as the
  // critical sections are a few hash-map steps (a contended std::mutex
  // would sleep in the kernel).
  struct shard {
    std::atomic_flag busy = ATOMIC_FLAG_INIT;
    std::unordered_map<std::string, std::size_t> counts;
    std::size_t prune_size = min_prune_size;
  };

  class shard_lock;

  shard& shard_of(const std::string& tenant);

  std::size_t cap_;
  std::array<shard, 16> shards_;
};

} // namespace tenantd::http
