// limits.tokens_per_minute: reservations before the call, settlement
// after it, and no window ever charged more than the limit however many
// calls are out at once.

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "core/token_budget.hpp"

namespace {

using namespace std::chrono_literals;
using tenantd::prompt_bound;
using tenantd::steady_time;
using tenantd::token_budget;

const steady_time t0 = steady_time{} + 1h;
const steady_time never = t0 + 24h;

TEST(TokenBudget, WithoutALimitNothingIsReserved) {
  token_budget budget;
  EXPECT_TRUE(budget.fits(t0, 1u << 30));
  EXPECT_EQ(budget.reserve(t0, 1u << 30, never), 0u);
  EXPECT_EQ(budget.reserved(), 0u);
}

TEST(TokenBudget, ConcurrentReservationsNeverExceedTheLimit) {
  token_budget budget{1000};
  std::vector<uint64_t> ids;
  for (int i = 0; i < 100; ++i)
    if (auto id = budget.reserve(t0, 300, never))
      ids.push_back(id);
  // Three calls of 300 fit in 1,000, the fourth does not.
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(budget.reserved(), 900u);
  EXPECT_FALSE(budget.fits(t0, 101));
  EXPECT_TRUE(budget.fits(t0, 100));
  EXPECT_EQ(budget.view(t0).remaining, 100u);
}

TEST(TokenBudget, SettlingChargesWhatWasUsedAndFreesTheRest) {
  token_budget budget{1000};
  auto a = budget.reserve(t0, 600, never);
  ASSERT_NE(a, 0u);
  EXPECT_EQ(budget.reserve(t0, 600, never), 0u);
  budget.settle(t0 + 1s, a, 150);
  EXPECT_EQ(budget.reserved(), 0u);
  EXPECT_EQ(budget.settled(), 150u);
  EXPECT_NE(budget.reserve(t0 + 1s, 600, never), 0u);
  EXPECT_EQ(budget.view(t0 + 1s).remaining, 250u);
}

TEST(TokenBudget, TheWindowStartsAfreshAfterAMinute) {
  token_budget budget{1000};
  auto a = budget.reserve(t0, 1000, never);
  budget.settle(t0, a, 1000);
  EXPECT_FALSE(budget.fits(t0 + 59s, 1));
  EXPECT_EQ(budget.view(t0 + 59s).reset_seconds, 1u);
  EXPECT_EQ(budget.view(t0 + 10s).reset_seconds, 50u);
  EXPECT_TRUE(budget.fits(t0 + 60s, 1000));
}

TEST(TokenBudget, AReservationOutlivesItsWindowAndCountsInTheNext) {
  token_budget budget{1000};
  auto a = budget.reserve(t0, 800, never);
  // A new window: the call still out keeps its 800 reserved.
  EXPECT_FALSE(budget.fits(t0 + 61s, 201));
  budget.settle(t0 + 62s, a, 700);
  EXPECT_EQ(budget.settled(), 700u);
  EXPECT_TRUE(budget.fits(t0 + 62s, 300));
  EXPECT_FALSE(budget.fits(t0 + 62s, 301));
}

TEST(TokenBudget, AnOverdueReservationIsDropped) {
  token_budget budget{1000};
  ASSERT_NE(budget.reserve(t0, 1000, t0 + 5s), 0u);
  EXPECT_FALSE(budget.fits(t0 + 4s, 1));
  EXPECT_TRUE(budget.fits(t0 + 5s, 1000));
}

TEST(TokenBudget, AnUnknownSettlementChargesOnlyWhatWasUsed) {
  token_budget budget{1000};
  auto a = budget.reserve(t0, 500, never);
  token_budget other{1000};
  // Another budget's id (the tenant's previous actor) frees nothing here.
  other.settle(t0, a, 10);
  EXPECT_EQ(other.settled(), 10u);
  EXPECT_EQ(other.reserved(), 0u);
  budget.settle(t0, 0, 5);
  EXPECT_EQ(budget.reserved(), 500u);
  EXPECT_EQ(budget.settled(), 5u);
}

TEST(TokenBudget, APromptIsBoundedByItsBytes) {
  EXPECT_EQ(prompt_bound(0, 0), 8u);
  EXPECT_EQ(prompt_bound(100, 2), 124u);
}

} // namespace
