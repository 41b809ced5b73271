#include "core/login_throttle.hpp"

#include <algorithm>

namespace tenantd {

login_throttle::login_throttle(uint32_t free_failures,
                               std::chrono::seconds max_wait,
                               std::size_t max_keys)
  : free_failures_(free_failures), max_wait_(max_wait),
    max_keys_(std::max<std::size_t>(max_keys, 1)) {
}

uint32_t login_throttle::wait(const std::string& key,
                              clock::time_point now) const {
  auto i = entries_.find(key);
  if (i == entries_.end() || i->second.until <= now)
    return 0;
  auto left = std::chrono::ceil<std::chrono::seconds>(i->second.until - now);
  return static_cast<uint32_t>(std::max<int64_t>(left.count(), 1));
}

void login_throttle::failed(const std::string& key, clock::time_point now) {
  auto i = entries_.find(key);
  if (i == entries_.end()) {
    if (entries_.size() >= max_keys_) {
      entries_.erase(ages_.front());
      ages_.pop_front();
    }
    ages_.push_back(key);
    i = entries_.emplace(key, entry{0, {}, std::prev(ages_.end())}).first;
  } else {
    ages_.splice(ages_.end(), ages_, i->second.age);
  }
  auto& e = i->second;
  ++e.failures;
  if (e.failures < free_failures_)
    return;
  // The 5th failure in a row waits 1 s, the 6th 2 s, ... (capped).
  auto doublings = std::min<uint32_t>(e.failures - free_failures_, 30);
  auto wait = std::min<std::chrono::seconds>(
    std::chrono::seconds{int64_t{1} << doublings}, max_wait_);
  e.until = now + wait;
}

void login_throttle::succeeded(const std::string& key) {
  auto i = entries_.find(key);
  if (i == entries_.end())
    return;
  ages_.erase(i->second.age);
  entries_.erase(i);
}

} // namespace tenantd
