// ai.breaker: failures in a row open a route, the cooldown skips it, one
// trial goes when it ends, and its outcome closes or reopens it.

#include <chrono>

#include <gtest/gtest.h>

#include "core/circuit_breaker.hpp"

namespace {

using namespace std::chrono_literals;
using tenantd::breaker_state;
using tenantd::circuit_breaker;
using tenantd::steady_time;

const steady_time t0 = steady_time{} + 1h;

TEST(CircuitBreaker, OpensAfterFailuresInARow) {
  circuit_breaker b{3, 10s};
  b.failed(t0);
  b.failed(t0);
  b.succeeded(); // a success in between starts the count again
  b.failed(t0);
  b.failed(t0);
  EXPECT_EQ(b.state(t0), breaker_state::closed);
  EXPECT_TRUE(b.admit(t0, t0 + 1s));
  b.failed(t0);
  EXPECT_EQ(b.state(t0), breaker_state::open);
  EXPECT_FALSE(b.admit(t0 + 9s, t0 + 20s));
  EXPECT_EQ(b.next_try(t0 + 1s), t0 + 10s);
}

TEST(CircuitBreaker, HalfOpenLetsOneTrialGo) {
  circuit_breaker b{1, 10s};
  b.failed(t0);
  auto later = t0 + 10s;
  EXPECT_EQ(b.state(later), breaker_state::half_open);
  EXPECT_TRUE(b.admit(later, later + 5s));
  // The trial is out: others wait for it, or for its deadline.
  EXPECT_FALSE(b.admit(later + 1s, later + 6s));
  EXPECT_EQ(b.next_try(later + 1s), later + 5s);
  EXPECT_TRUE(b.would_admit(later + 5s));
}

TEST(CircuitBreaker, TheTrialsOutcomeClosesOrReopens) {
  circuit_breaker b{1, 10s};
  b.failed(t0);
  ASSERT_TRUE(b.admit(t0 + 10s, t0 + 15s));
  b.failed(t0 + 11s);
  EXPECT_EQ(b.state(t0 + 12s), breaker_state::open);
  EXPECT_EQ(b.next_try(t0 + 12s), t0 + 21s);
  ASSERT_TRUE(b.admit(t0 + 21s, t0 + 25s));
  b.succeeded();
  EXPECT_EQ(b.state(t0 + 21s), breaker_state::closed);
  EXPECT_TRUE(b.admit(t0 + 21s, t0 + 25s));
  EXPECT_TRUE(b.admit(t0 + 21s, t0 + 25s));
}

TEST(CircuitBreaker, ZeroFailuresNeverOpens) {
  circuit_breaker b{0, 10s};
  for (int i = 0; i < 100; ++i)
    b.failed(t0);
  EXPECT_EQ(b.state(t0), breaker_state::closed);
  EXPECT_TRUE(b.admit(t0, t0));
}

} // namespace
