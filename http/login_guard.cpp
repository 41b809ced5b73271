#include "http/login_guard.hpp"

namespace tenantd::http {

uint32_t login_guard::wait(const std::string& address) {
  std::lock_guard<std::mutex> guard{mutex_};
  return throttle_.wait(address, login_throttle::clock::now());
}

void login_guard::failed(const std::string& address) {
  std::lock_guard<std::mutex> guard{mutex_};
  throttle_.failed(address, login_throttle::clock::now());
}

void login_guard::succeeded(const std::string& address) {
  std::lock_guard<std::mutex> guard{mutex_};
  throttle_.succeeded(address);
}

} // namespace tenantd::http
