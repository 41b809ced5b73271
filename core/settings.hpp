#pragma once

// Service-wide settings every actor gets (how long idle things live, how
// large a reply may grow) and the rule for how often to sweep.

#include <algorithm>
#include <chrono>
#include <cstddef>

#include "core/clock.hpp"

namespace tenantd {

/// Bounds on a tenant's rendered reply.
struct reply_limits {
  /// Largest reply in bytes as sent, JSON-escaped (MAX_REPLY_BYTES):
  /// configs whose worst case is larger are refused, and a reply that
  /// grows larger anyway (a config stored under other settings) is not
  /// sent.
  std::size_t max_reply_bytes = 128 * 1024;
  /// Longest /chat message in code points (MAX_MESSAGE_CHARS), which a
  /// reply's worst case is computed from.
  std::size_t max_message_chars = 4096;
  /// Reply bytes as sent per second per tenant, unless it sets
  /// limits.reply_bytes_per_s (TENANT_REPLY_BYTES_PER_S); 0 = no limit.
  /// Faster replies are held back (paced), in order.
  uint64_t bytes_per_s_per_tenant = 32u << 20;
  /// Longest a reply is held back for its tenant's bytes per second; a chat
  /// that would wait longer is refused (errc::reply_rate_exceeded). Below
  /// ASK_TIMEOUT_MS, so that a paced chat never times out.
  timespan max_wait = std::chrono::seconds{1};
};

/// How long idle things live, and how large replies grow: the service-wide
/// defaults for bounded memory.
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
  /// Live sessions a tenant may hold, unless it sets its own
  /// (MAX_SESSIONS_PER_TENANT).
  std::size_t max_sessions_per_tenant = 100'000;
  reply_limits replies;
  /// Audit events older than this are deleted (AUDIT_RETENTION_DAYS).
  std::chrono::hours audit_retention{365 * 24};
};

/// How often to look for things idle or expired for `period`: a quarter of
/// it (so they go at most 25% late), kept within [`min`, `max`].
inline timespan sweep_interval(timespan period, timespan min, timespan max) {
  return std::clamp<timespan>(period / 4, min, max);
}

} // namespace tenantd
