#pragma once

// The circuit breaker of one route of a tenant's AI upstream (ai.breaker),
// as Portkey's and Envoy's outlier detection work: closed, it lets every
// call through and counts failures in a row; at `failures` it opens, and
// calls skip the route for `cooldown`; then it is half-open: one trial
// call goes, and its success closes the breaker while its failure opens it
// again. A trial whose outcome never comes is given up at its deadline.

#include <cstdint>

#include "core/clock.hpp"

namespace tenantd {

enum class breaker_state : uint8_t { closed, open, half_open };

class circuit_breaker {
public:
  /// `failures` 0: never opens.
  circuit_breaker(uint32_t failures = 5, timespan cooldown = std::chrono::seconds{30})
    : threshold_(failures), cooldown_(cooldown) {
  }

  breaker_state state(steady_time now) const;

  /// Whether a call may go at `now`. In the half-open state this takes the
  /// one trial (until `trial_deadline`); calls then wait for its outcome.
  bool admit(steady_time now, steady_time trial_deadline);

  /// Whether admit would let a call go at `now`, without taking a trial.
  bool would_admit(steady_time now) const;

  /// When a call may next go (now if it may).
  steady_time next_try(steady_time now) const;

  void succeeded();
  void failed(steady_time now);
  /// The trial this breaker let go was not made after all (an earlier
  /// route answered): the next call may make it.
  void trial_unused();

private:
  uint32_t threshold_;
  timespan cooldown_;
  uint32_t failures_ = 0;
  steady_time open_until_{};
  /// A half-open trial is out until then.
  steady_time trial_until_{};
};

} // namespace tenantd
