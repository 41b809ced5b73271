#include "http/client_limiter.hpp"

#include <algorithm>
#include <functional>

namespace tenantd::http {

uint32_t client_limiter::admit(const boost::asio::ip::address& from,
                               clock_type::time_point now) {
  if (limit_ == 0)
    return 0;
  auto& s = shards_[std::hash<boost::asio::ip::address>{}(from) % shards_.size()];
  std::lock_guard<std::mutex> guard{s.mtx};
  if (s.windows.size() >= s.prune_size) {
    for (auto i = s.windows.begin(); i != s.windows.end();)
      i = now - i->second.start >= window ? s.windows.erase(i) : std::next(i);
    s.prune_size = std::max(min_prune_size, 2 * s.windows.size());
  }
  auto& w = s.windows[from];
  if (w.count == 0 || now - w.start >= window) {
    w.start = now;
    w.count = 0;
  }
  if (w.count < limit_) {
    ++w.count;
    return 0;
  }
  auto left = std::chrono::ceil<std::chrono::seconds>(w.start + window - now);
  return static_cast<uint32_t>(std::max<std::chrono::seconds::rep>(left.count(), 1));
}

std::size_t client_limiter::entries() {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard{s.mtx};
    n += s.windows.size();
  }
  return n;
}

} // namespace tenantd::http
