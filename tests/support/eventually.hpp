#pragma once

// Waiting for something that happens on another thread, without sleeping
// longer than it takes.

#include <chrono>
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

} // namespace tenantd::test
