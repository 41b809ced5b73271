#pragma once

// A tenant's limits.tokens_per_minute: upstream tokens per fixed 60-second
// window, reserved before a call and settled after it. Kong and Envoy count
// a request's tokens only once it has finished, so calls started together
// all pass and together overshoot; here each call reserves its worst case
// first (a bound on its prompt plus ai.max_tokens), and a call is admitted
// only while the settled tokens of the window and every reservation still
// out fit the limit. Settling replaces the reservation by what the call
// used (what the upstream said; the tenant's actor charges the whole
// reservation when it may have spent tokens without saying). So the tokens charged to a window never exceed the limit,
// however many calls run at once, as long as each uses no more than it
// reserved (an upstream honours max_tokens; a prompt's tokens are bounded
// by its bytes, see prompt_bound).
//
// Reservations whose settlement never comes (a lost report) are dropped
// at their deadline, so a lost one cannot hold the budget for ever.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"

namespace tenantd {

/// A bound on the tokens of a prompt of `bytes` bytes in `messages`
/// messages: a byte-level BPE (OpenAI's, Llama 3's) or a tokenizer with
/// byte fallback never makes more tokens of a text than it has bytes, and
/// each message costs a few tokens of framing.
uint64_t prompt_bound(uint64_t bytes, std::size_t messages);

/// What a window says of itself (for the RateLimit fields).
struct token_window_view {
  uint64_t limit = 0;
  uint64_t remaining = 0;
  /// Seconds until the window starts afresh (at least 1).
  uint32_t reset_seconds = 1;
};

class token_budget {
public:
  static constexpr std::chrono::seconds window_length{60};

  /// `tokens_per_minute` 0: no limit (reserve always succeeds, with id 0).
  /// Ids start at a random point, so a settlement meant for an earlier
  /// budget (the tenant's previous actor) finds no reservation here.
  explicit token_budget(uint64_t tokens_per_minute = 0);

  uint64_t limit() const {
    return limit_;
  }

  /// Changes the limit; reservations out stay charged.
  void set_limit(uint64_t tokens_per_minute) {
    limit_ = tokens_per_minute;
  }

  /// Whether `tokens` more fit at `now`.
  bool fits(steady_time now, uint64_t tokens);

  /// Reserves `tokens` at `now` until settled or `deadline`; its id (never
  /// 0), or 0 if they do not fit (nothing reserved) or there is no limit.
  uint64_t reserve(steady_time now, uint64_t tokens, steady_time deadline);

  /// Ends reservation `id` (0, unknown or dropped: none), charging `used`
  /// tokens to the window of `now`.
  void settle(steady_time now, uint64_t id, uint64_t used);

  /// The tokens reservation `id` holds (0: none, or no longer).
  uint64_t reserved_by(uint64_t id) const;

  token_window_view view(steady_time now) const;

  /// Tokens reserved by calls still out, and settled in this window.
  uint64_t reserved() const {
    return reserved_;
  }
  uint64_t settled() const {
    return settled_;
  }

private:
  struct reservation {
    uint64_t tokens;
    steady_time deadline;
  };

  /// Starts a new window if this one is over; drops overdue reservations.
  void advance(steady_time now);

  uint64_t limit_;
  steady_time start_{};
  uint64_t settled_ = 0;
  uint64_t reserved_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, reservation> out_;
};

} // namespace tenantd
