#include "http/net/body_stream.hpp"

#include <utility>

namespace tenantd::http {

void body_stream::write(std::string_view bytes) {
  if (ended_ || closed_ || bytes.empty())
    return;
  pending_.append(bytes.data(), bytes.size());
  wake();
}

void body_stream::end() {
  if (ended_ || closed_)
    return;
  ended_ = true;
  wake();
}

void body_stream::on_close(std::function<void()> f) {
  if (closed_)
    return f();
  on_close_ = std::move(f);
}

void body_stream::when_ready(std::function<void()> wake) {
  wake_ = std::move(wake);
}

std::string body_stream::take() {
  return std::exchange(pending_, {});
}

void body_stream::close() {
  if (closed_ || ended_)
    return;
  closed_ = true;
  pending_.clear();
  wake_ = nullptr;
  if (auto f = std::exchange(on_close_, nullptr))
    f();
}

void body_stream::wake() {
  // A copy: the connection may replace or clear wake_ while it runs.
  if (auto f = wake_)
    f();
}

} // namespace tenantd::http
