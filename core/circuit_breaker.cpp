#include "core/circuit_breaker.hpp"

#include <algorithm>

namespace tenantd {

breaker_state circuit_breaker::state(steady_time now) const {
  if (threshold_ == 0 || failures_ < threshold_)
    return breaker_state::closed;
  return now < open_until_ ? breaker_state::open : breaker_state::half_open;
}

bool circuit_breaker::would_admit(steady_time now) const {
  switch (state(now)) {
    case breaker_state::closed: return true;
    case breaker_state::open: return false;
    case breaker_state::half_open: return trial_until_ <= now;
  }
  return false;
}

bool circuit_breaker::admit(steady_time now, steady_time trial_deadline) {
  if (!would_admit(now))
    return false;
  if (state(now) == breaker_state::half_open)
    trial_until_ = trial_deadline;
  return true;
}

steady_time circuit_breaker::next_try(steady_time now) const {
  switch (state(now)) {
    case breaker_state::closed: return now;
    case breaker_state::open: return open_until_;
    case breaker_state::half_open: return std::max(now, trial_until_);
  }
  return now;
}

void circuit_breaker::succeeded() {
  failures_ = 0;
  trial_until_ = {};
}

void circuit_breaker::trial_unused() {
  trial_until_ = {};
}

void circuit_breaker::failed(steady_time now) {
  if (failures_ < UINT32_MAX)
    ++failures_;
  if (threshold_ != 0 && failures_ >= threshold_) {
    open_until_ = now + cooldown_;
    trial_until_ = {};
  }
}

} // namespace tenantd
