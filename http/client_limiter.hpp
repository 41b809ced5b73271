#pragma once

// A limit on the requests one client address may make to POST /session
// and POST /chat per fixed 10-second window, whatever tenant they name: one
// client cannot open sessions (or chat) as fast as it can. Past it: 429
// with Retry-After. Off (a limit of 0) by default, since behind a proxy
// every client has the proxy's address (CLIENT_RATE_LIMIT).
//
// Windows live in a sharded table; a shard reaching its pruning size drops
// the windows that have ended, and its next pruning size becomes twice
// what is left (at least min_prune_size): the table holds about the
// addresses seen in the last window, at an amortised constant cost.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace tenantd::http {

class client_limiter {
public:
  using clock_type = std::chrono::steady_clock;
  static constexpr std::chrono::seconds window{10};

  /// @param limit Requests per window and address; 0 = no limit.
  explicit client_limiter(std::size_t limit) : limit_(limit) {
  }

  /// Counts a request from `from` at `now`: 0 if admitted, else the whole
  /// seconds until its address's window ends (at least 1). Any thread.
  uint32_t admit(const boost::asio::ip::address& from, clock_type::time_point now);

  /// Addresses in the table (for tests).
  std::size_t entries();

private:
  static constexpr std::size_t min_prune_size = 1024;

  struct window_state {
    clock_type::time_point start;
    std::size_t count = 0;
  };
  struct shard {
    std::mutex mtx;
    std::unordered_map<boost::asio::ip::address, window_state> windows;
    std::size_t prune_size = min_prune_size;
  };

  std::size_t limit_;
  std::array<shard, 16> shards_;
};

} // namespace tenantd::http
