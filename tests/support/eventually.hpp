#pragma once

// Waiting for something that happens on another thread, without sleeping
// longer than it takes.

#include <chrono>
#include <cstdlib>
#include <thread>

namespace tenantd::test {

/// Polls `pred` every millisecond until it holds or `deadline` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds{5}) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  return true;
}

/// How many times slower than usual the build serves
/// (TENANTD_TEST_TIME_SCALE: scripts/test-sanitize.sh sets it), at least 1:
/// a test that needs something to still hold some time from now allows
/// that much longer.
inline int time_scale() {
  auto* v = std::getenv("TENANTD_TEST_TIME_SCALE");
  int n = v != nullptr ? std::atoi(v) : 1;
  return n < 1 ? 1 : n;
}

} // namespace tenantd::test
