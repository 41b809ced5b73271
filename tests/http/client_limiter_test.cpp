// The per-address limit on POST /session and /chat (http/client_limiter):
// fixed windows, one per address, and a table that does not keep what
// has ended.

#include <gtest/gtest.h>

#include "http/client_limiter.hpp"

namespace {

using tenantd::http::client_limiter;
using namespace std::chrono_literals;
namespace ip = boost::asio::ip;

TEST(ClientLimiter, AdmitsTheLimitPerWindowThenSaysHowLongToWait) {
  client_limiter limiter{2};
  auto a = ip::make_address("10.0.0.1");
  auto t0 = client_limiter::clock_type::now();
  EXPECT_EQ(limiter.admit(a, t0), 0u);
  EXPECT_EQ(limiter.admit(a, t0 + 1s), 0u);
  EXPECT_EQ(limiter.admit(a, t0 + 1s), 9u);
  EXPECT_EQ(limiter.admit(a, t0 + 9500ms), 1u);
  // Another address, and the next window, start afresh.
  EXPECT_EQ(limiter.admit(ip::make_address("10.0.0.2"), t0 + 1s), 0u);
  EXPECT_EQ(limiter.admit(a, t0 + 10s), 0u);
}

TEST(ClientLimiter, ZeroIsNoLimitAndKeepsNothing) {
  client_limiter limiter{0};
  auto a = ip::make_address("::1");
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(limiter.admit(a, client_limiter::clock_type::now()), 0u);
  EXPECT_EQ(limiter.entries(), 0u);
}

TEST(ClientLimiter, EndedWindowsArePruned) {
  client_limiter limiter{1};
  auto t0 = client_limiter::clock_type::now();
  for (uint32_t i = 0; i < 100'000; ++i)
    limiter.admit(ip::address_v4{i}, t0);
  // Later, new addresses push the old windows out.
  for (uint32_t i = 0; i < 100'000; ++i)
    limiter.admit(ip::address_v4{0x0a000000u + i}, t0 + 11s);
  EXPECT_LT(limiter.entries(), 150'000u);
}

} // namespace
