#pragma once

// Failed logins, throttled: after `free_failures` consecutive failures of
// one key (an account, or a client address), each further failure makes
// the next attempt wait, twice as long each time (1 s, 2 s, 4 s, ... up to
// `max_wait`); a success resets the key. Bounded: at most `max_keys` keys
// are tracked, the stalest forgotten first, so a spray of made-up emails
// costs bounded memory.

#include <chrono>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

namespace tenantd {

class login_throttle {
public:
  using clock = std::chrono::steady_clock;

  explicit login_throttle(uint32_t free_failures = 5,
                          std::chrono::seconds max_wait = std::chrono::minutes{15},
                          std::size_t max_keys = 10'000);

  /// Whole seconds `key` must still wait before another attempt at `now`
  /// (0: it may try now).
  uint32_t wait(const std::string& key, clock::time_point now) const;

  /// Records a failure at `now`.
  void failed(const std::string& key, clock::time_point now);

  /// Records a success: the key starts afresh.
  void succeeded(const std::string& key);

  std::size_t size() const {
    return entries_.size();
  }

private:
  struct entry {
    uint32_t failures = 0;
    clock::time_point until{};
    std::list<std::string>::iterator age;
  };

  uint32_t free_failures_;
  std::chrono::seconds max_wait_;
  std::size_t max_keys_;
  std::unordered_map<std::string, entry> entries_;
  /// Keys, the least recently failed first.
  std::list<std::string> ages_;
};

} // namespace tenantd
