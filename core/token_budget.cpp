#include "core/token_budget.hpp"

#include <algorithm>

#include "core/random.hpp"

namespace tenantd {

token_budget::token_budget(uint64_t tokens_per_minute)
  : limit_(tokens_per_minute) {
  secure_random(&next_id_, sizeof next_id_);
  next_id_ = (next_id_ >> 2) + 1; // never 0, never wrapping
}

uint64_t prompt_bound(uint64_t bytes, std::size_t messages) {
  // OpenAI's chat format frames each message with 3-4 tokens and primes
  // the reply with 3; twice that leaves room for other templates.
  return bytes + 8 * static_cast<uint64_t>(messages) + 8;
}

void token_budget::advance(steady_time now) {
  if (now >= start_ + window_length) {
    start_ = now;
    settled_ = 0;
  }
  for (auto i = out_.begin(); i != out_.end();) {
    if (i->second.deadline <= now) {
      reserved_ -= i->second.tokens;
      i = out_.erase(i);
    } else {
      ++i;
    }
  }
}

bool token_budget::fits(steady_time now, uint64_t tokens) {
  if (limit_ == 0)
    return true;
  advance(now);
  return settled_ + reserved_ + tokens <= limit_;
}

uint64_t token_budget::reserve(steady_time now, uint64_t tokens,
                               steady_time deadline) {
  if (limit_ == 0 || !fits(now, tokens))
    return 0;
  auto id = next_id_++;
  out_.emplace(id, reservation{tokens, deadline});
  reserved_ += tokens;
  return id;
}

void token_budget::settle(steady_time now, uint64_t id, uint64_t used) {
  advance(now);
  if (auto i = out_.find(id); i != out_.end()) {
    reserved_ -= i->second.tokens;
    out_.erase(i);
  }
  settled_ += used;
}

uint64_t token_budget::reserved_by(uint64_t id) const {
  auto i = out_.find(id);
  return i == out_.end() ? 0 : i->second.tokens;
}

token_window_view token_budget::view(steady_time now) const {
  token_window_view v;
  v.limit = limit_;
  auto charged = settled_ + reserved_;
  v.remaining = charged >= limit_ ? 0 : limit_ - charged;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  auto left = start_ + window_length - now;
  // Round up: a client that waits reset_seconds finds the window reset.
  auto reset = duration_cast<seconds>(left + seconds{1}
                                      - std::chrono::nanoseconds{1});
  v.reset_seconds = static_cast<uint32_t>(std::max<int64_t>(reset.count(), 1));
  return v;
}

} // namespace tenantd
