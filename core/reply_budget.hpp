#pragma once

// A tenant's budget of reply bytes per second, by the generic cell rate
// algorithm (GCRA, ITU-T I.371): one time point per tenant, no refill
// timer. A reply of n bytes costs n / rate seconds of the tenant's
// bandwidth; up to `burst` bytes go at once, and what comes faster is
// paced (sent later, in order) or, past a bounded wait, refused. Rendering
// and sending large replies is work on threads every tenant shares, so
// one tenant's replies must not take more than its share of them.

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/clock.hpp"

namespace tenantd {

class reply_budget {
public:
  /// No limit: every reply goes at once.
  reply_budget() = default;

  /// `bytes_per_s` (0: no limit) with bursts of up to `burst_bytes`.
  reply_budget(uint64_t bytes_per_s, uint64_t burst_bytes)
    : bytes_per_s_(bytes_per_s),
      burst_(bytes_per_s == 0 ? timespan{} : cost(burst_bytes)) {
  }

  uint64_t bytes_per_s() const {
    return bytes_per_s_;
  }

  /// How long a reply of no bytes would wait at `now`: the time the
  /// tenant's earlier replies are ahead of its bandwidth, beyond the burst.
  timespan backlog(steady_time now) const {
    if (bytes_per_s_ == 0)
      return {};
    return std::max(timespan{}, std::max(theoretical_, now) - burst_ - now);
  }

  /// When a reply of `bytes` may be sent, at `now` or later, charging it;
  /// nothing (and nothing charged) if that is more than `max_wait` away.
  std::optional<steady_time> reserve(steady_time now, uint64_t bytes,
                                     timespan max_wait) {
    if (bytes_per_s_ == 0)
      return now;
    auto next = std::max(theoretical_, now) + cost(bytes);
    auto at = std::max(now, next - burst_);
    if (at - now > max_wait)
      return std::nullopt;
    theoretical_ = next;
    return at;
  }

private:
  // The time `bytes` take at the rate; bytes stay below 2^33 (an answer is
  // at most MAX_REPLY_BYTES, a burst a second's worth), so the product
  // fits in 64 bits.
  timespan cost(uint64_t bytes) const {
    auto ns = std::min<uint64_t>(bytes, uint64_t{1} << 33) * 1'000'000'000u
              / bytes_per_s_;
    return timespan{static_cast<timespan::rep>(ns)};
  }

  uint64_t bytes_per_s_ = 0;
  timespan burst_{};
  /// When the tenant's bandwidth is used up to (the "theoretical arrival
  /// time"): before now, the budget is full.
  steady_time theoretical_{};
};

} // namespace tenantd
