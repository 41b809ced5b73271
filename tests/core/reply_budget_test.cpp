// A tenant's reply bytes per second: bursts go at once, what comes faster
// is paced at the rate, and what would wait too long is refused, uncharged.

#include <chrono>

#include <gtest/gtest.h>

#include "core/reply_budget.hpp"

namespace {

using namespace std::chrono_literals;
using tenantd::reply_budget;
using tenantd::steady_time;

const steady_time t0 = steady_time{} + 1h;

TEST(ReplyBudget, WithoutALimitEveryReplyGoesAtOnce) {
  reply_budget budget;
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(budget.reserve(t0, 1 << 20, 0s), t0);
  EXPECT_EQ(budget.backlog(t0), 0s);
}

TEST(ReplyBudget, ABurstGoesAtOnceAndTheRestAtTheRate) {
  reply_budget budget{1000, 1000}; // 1,000 B/s, bursts of 1,000 B
  EXPECT_EQ(budget.reserve(t0, 500, 1s), t0);
  EXPECT_EQ(budget.reserve(t0, 500, 1s), t0);
  EXPECT_EQ(budget.backlog(t0), 0s);
  // The burst is used up: each 500 B waits another half second.
  EXPECT_EQ(budget.reserve(t0, 500, 1s), t0 + 500ms);
  EXPECT_EQ(budget.reserve(t0, 500, 1s), t0 + 1s);
  EXPECT_EQ(budget.backlog(t0), 1s);
  // Later, the same reply waits less; it never waits behind nothing.
  EXPECT_EQ(budget.reserve(t0 + 900ms, 100, 1s), t0 + 1100ms);
  EXPECT_EQ(budget.reserve(t0 + 10s, 100, 0s), t0 + 10s);
}

TEST(ReplyBudget, AReplyThatWouldWaitTooLongIsRefusedAndNotCharged) {
  reply_budget budget{1000, 1000};
  ASSERT_EQ(budget.reserve(t0, 1000, 1s), t0);
  ASSERT_EQ(budget.reserve(t0, 1000, 1s), t0 + 1s);
  EXPECT_EQ(budget.reserve(t0, 1, 1s), std::nullopt);
  EXPECT_EQ(budget.reserve(t0, 1000, 1s), std::nullopt);
  EXPECT_EQ(budget.backlog(t0), 1s);
  // A wait within the bound is still given.
  EXPECT_EQ(budget.reserve(t0 + 1ms, 1, 1s), t0 + 1001ms);
}

TEST(ReplyBudget, IdleTimeRefillsNoMoreThanTheBurst) {
  reply_budget budget{1000, 2000};
  // An hour of silence is still only 2,000 bytes at once.
  EXPECT_EQ(budget.reserve(t0, 2000, 0s), t0);
  EXPECT_EQ(budget.reserve(t0, 1000, 1s), t0 + 1s);
}

TEST(ReplyBudget, LargeRepliesAtHighRatesDoNotOverflow) {
  reply_budget budget{uint64_t{1} << 30, uint64_t{1} << 30};
  EXPECT_EQ(budget.reserve(t0, uint64_t{1} << 30, 0s), t0);
  EXPECT_EQ(budget.reserve(t0, uint64_t{1} << 29, 1s), t0 + 500ms);
}

} // namespace
