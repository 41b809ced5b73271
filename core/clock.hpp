#pragma once

// Steady time <-> Unix milliseconds. Actors measure time on the actor clock
// (CAF's is std::chrono::steady_clock; virtual under the test coordinator)
// and storage keeps Unix milliseconds. Both are tied by one anchor taken at
// first use, so every actor converts the same way and virtual time moves
// stored times too.

#include <chrono>
#include <cstdint>

namespace tenantd {

/// The time actors measure on.
using steady_time = std::chrono::steady_clock::time_point;

/// A length of time at the actors' resolution (caf::timespan is this type).
using timespan = std::chrono::nanoseconds;

/// The one pair of readings every conversion goes through, taken at first
/// use.
struct clock_anchor {
  steady_time steady = std::chrono::steady_clock::now();
  int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();

  static const clock_anchor& get() {
    static const clock_anchor instance;
    return instance;
  }
};

inline int64_t to_unix_millis(steady_time tp) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  auto& a = clock_anchor::get();
  return a.unix_ms + duration_cast<milliseconds>(tp - a.steady).count();
}

inline steady_time from_unix_millis(int64_t ms) {
  auto& a = clock_anchor::get();
  return a.steady + std::chrono::milliseconds{ms - a.unix_ms};
}

inline int64_t to_millis(timespan d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

/// The wall clock in Unix milliseconds.
inline int64_t unix_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

} // namespace tenantd
