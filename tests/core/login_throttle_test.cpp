// core/login_throttle: free failures, then waits that double up to a cap; a
// success resets; bounded memory.

#include "core/login_throttle.hpp"

#include <gtest/gtest.h>

namespace {

using tenantd::login_throttle;
using namespace std::chrono_literals;

TEST(LoginThrottle, FiveFailuresInARowStartWaitsThatDouble) {
  login_throttle t;
  auto now = login_throttle::clock::time_point{} + 1h;
  for (int i = 0; i < 4; ++i) {
    t.failed("ann", now);
    EXPECT_EQ(t.wait("ann", now), 0u) << "after failure " << i + 1;
  }
  t.failed("ann", now);
  EXPECT_EQ(t.wait("ann", now), 1u);
  t.failed("ann", now);
  EXPECT_EQ(t.wait("ann", now), 2u);
  t.failed("ann", now);
  EXPECT_EQ(t.wait("ann", now), 4u);
  EXPECT_EQ(t.wait("ann", now + 3s), 1u);
  EXPECT_EQ(t.wait("ann", now + 4s), 0u);
  // Another key is not held back.
  EXPECT_EQ(t.wait("bob", now), 0u);
}

TEST(LoginThrottle, TheWaitIsCappedAndASuccessResetsIt) {
  login_throttle t{5, 60s};
  auto now = login_throttle::clock::time_point{} + 1h;
  for (int i = 0; i < 40; ++i)
    t.failed("ann", now);
  EXPECT_EQ(t.wait("ann", now), 60u);
  t.succeeded("ann");
  EXPECT_EQ(t.wait("ann", now), 0u);
  for (int i = 0; i < 4; ++i)
    t.failed("ann", now);
  EXPECT_EQ(t.wait("ann", now), 0u);
}

TEST(LoginThrottle, KeepsAtMostItsBoundOfKeysForgettingTheStalest) {
  login_throttle t{1, 60s, 3};
  auto now = login_throttle::clock::time_point{} + 1h;
  for (auto key : {"a", "b", "c", "d"})
    t.failed(key, now);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.wait("a", now), 0u); // forgotten
  EXPECT_EQ(t.wait("d", now), 1u);
}

} // namespace
