#pragma once

// Failed logins per client address (core/login_throttle.hpp), shared by
// the I/O threads: an address that keeps failing, whatever tenants and
// emails it tries, waits longer and longer. The per-account throttle is
// its tenant actor's.

#include <cstdint>
#include <mutex>
#include <string>

#include "core/login_throttle.hpp"

namespace tenantd::http {

class login_guard {
public:
  login_guard(uint32_t free_failures, std::chrono::seconds max_wait)
    : throttle_(free_failures, max_wait) {
  }

  /// Seconds `address` must wait before its next login (0: none).
  uint32_t wait(const std::string& address);
  void failed(const std::string& address);
  void succeeded(const std::string& address);

private:
  std::mutex mutex_;
  login_throttle throttle_;
};

} // namespace tenantd::http
