// The per-tenant cap on asks in flight (http/in_flight_gate).

#include <string>
#include <thread>
#include <vector>

#include "http/in_flight_gate.hpp"

#include <gtest/gtest.h>

namespace {

using namespace tenantd;

TEST(InFlightGate, RefusesPastTheCapPerTenantAndAdmitsAgainAfterLeave) {
  http::in_flight_gate gate{2};
  EXPECT_TRUE(gate.try_enter("a"));
  EXPECT_TRUE(gate.try_enter("a"));
  EXPECT_FALSE(gate.try_enter("a"));
  EXPECT_TRUE(gate.try_enter("b")); // another tenant is not affected
  EXPECT_EQ(gate.in_flight("a"), 2u);
  gate.leave("a");
  EXPECT_TRUE(gate.try_enter("a"));
  EXPECT_FALSE(gate.try_enter("a"));
  gate.leave("never-entered"); // harmless
  EXPECT_EQ(gate.in_flight("never-entered"), 0u);
}

TEST(InFlightGate, MadeUpTenantIdsDoNotGrowTheTableWithoutBound) {
  http::in_flight_gate gate{4};
  for (int i = 0; i < 100000; ++i) {
    auto id = "made-up-" + std::to_string(i);
    ASSERT_TRUE(gate.try_enter(id));
    gate.leave(id);
  }
  // 16 shards pruned at 1024 entries, plus the one being entered.
  EXPECT_LE(gate.entries(), 16u * 1025u);
  // Counts in flight survive the pruning (and many of them keep it cheap).
  ASSERT_TRUE(gate.try_enter("busy"));
  for (int i = 0; i < 100000; ++i)
    gate.try_enter("other-" + std::to_string(i));
  EXPECT_EQ(gate.in_flight("busy"), 1u);
  EXPECT_EQ(gate.in_flight("other-99999"), 1u);
}

TEST(InFlightGate, CountsStayExactUnderConcurrency) {
  http::in_flight_gate gate{1000000};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i) {
        ASSERT_TRUE(gate.try_enter("t"));
        if (i % 2 == 0)
          gate.leave("t");
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(gate.in_flight("t"), 4u * 25000u);
}

} // namespace
