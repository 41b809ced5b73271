#pragma once

#include <chrono>

namespace tenantd {

/// How long idle things live: the service-wide defaults for bounded memory.
struct lifecycle_settings {
  /// A session unused this long expires (a tenant may set its own TTL).
  std::chrono::seconds session_ttl{86400};
  /// A tenant actor without traffic this long is passivated.
  std::chrono::seconds tenant_idle{900};
  /// How often a tenant sends its session uses and counters to the store.
  std::chrono::milliseconds touch_interval{1000};
};

} // namespace tenantd
