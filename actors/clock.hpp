#pragma once

// Actor-clock time <-> Unix milliseconds. Actors measure time on the actor
// clock (steady; virtual under the test coordinator) and the store keeps
// Unix milliseconds. Both are tied by one anchor taken at first use, so
// every actor converts the same way and virtual time moves stored times too.

#include <chrono>
#include <cstdint>

#include <caf/actor_clock.hpp>

namespace tenantd {

namespace detail {

struct clock_anchor {
  caf::actor_clock::time_point steady = caf::actor_clock::clock_type::now();
  int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
};

inline const clock_anchor& anchor() {
  static const clock_anchor instance;
  return instance;
}

} // namespace detail

inline int64_t to_unix_millis(caf::actor_clock::time_point tp) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  auto& a = detail::anchor();
  return a.unix_ms + duration_cast<milliseconds>(tp - a.steady).count();
}

inline caf::actor_clock::time_point from_unix_millis(int64_t ms) {
  auto& a = detail::anchor();
  return a.steady + std::chrono::milliseconds{ms - a.unix_ms};
}

inline int64_t to_millis(caf::timespan d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

} // namespace tenantd
