#pragma once

// Service-wide lifecycle settings and the rule for how often to sweep.

#include <algorithm>
#include <chrono>

#include "core/clock.hpp"

namespace tenantd {

/// How long idle things live: the service-wide defaults for bounded memory.
struct lifecycle_settings {
  /// A session unused this long expires (a tenant may set its own TTL).
  std::chrono::seconds session_ttl{86400};
  /// A tenant actor without traffic this long is passivated.
  std::chrono::seconds tenant_idle{900};
  /// How often a tenant sends its session uses and counters to the store.
  std::chrono::milliseconds touch_interval{1000};
  /// Longest an actor waits for another's answer (a load, a write, a
  /// config change) before failing that request and going on.
  std::chrono::milliseconds internal_timeout{10000};
};

/// How often to look for things idle or expired for `period`: a quarter of
/// it (so they go at most 25% late), kept within [`min`, `max`].
inline timespan sweep_interval(timespan period, timespan min, timespan max) {
  return std::clamp<timespan>(period / 4, min, max);
}

} // namespace tenantd
