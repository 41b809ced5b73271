// A tenant actor's rate limit, in virtual time, and the clock actors read.

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "tests/support/actor_fixture.hpp"

using namespace std::chrono_literals;
using namespace tenantd;
using namespace tenantd::test;

namespace {

// -- tenant rate limit, in virtual time ----------------------------------------

// "a" allows 3 chats per 10 s, "b" 2, "free" has no limit.
class RateLimitTest : public actor_fixture {
protected:
  void SetUp() override {
    start_registry({make_tenant("a", "A", "wa", "ma", 3, "{message}"),
                    make_tenant("b", "B", "wb", "mb", 2, "{message}"),
                    make_tenant("free", "Free", "wf", "mf", 0, "{message}")});
  }

  /// Chats and returns the result; a failed ask fails the test.
  chat_result must_chat(const std::string& tenant, const std::string& sid,
                        const std::string& message = "ping") {
    auto r = chat(tenant, sid, message);
    EXPECT_TRUE(r) << "chat(" << tenant << "): " << render(r.error());
    return r ? *r : chat_result{};
  }

  /// Expects an admitted chat leaving `remaining` and `reset` seconds.
  void expect_admitted(const chat_result& r, uint32_t limit,
                       uint32_t remaining, uint32_t reset) {
    EXPECT_FALSE(r.limited);
    EXPECT_EQ(r.reply, "ping");
    EXPECT_EQ(r.window.limit, limit);
    EXPECT_EQ(r.window.window_seconds, 10u);
    EXPECT_EQ(r.window.remaining, remaining);
    EXPECT_EQ(r.window.reset_seconds, reset);
  }

  /// Expects a refused chat whose window resets in `reset` seconds.
  void expect_limited(const chat_result& r, uint32_t limit, uint32_t reset) {
    EXPECT_TRUE(r.limited);
    EXPECT_EQ(r.reply, "");
    EXPECT_EQ(r.model, "");
    EXPECT_EQ(r.window.limit, limit);
    EXPECT_EQ(r.window.window_seconds, 10u);
    EXPECT_EQ(r.window.remaining, 0u);
    EXPECT_EQ(r.window.reset_seconds, reset);
  }
};

TEST_F(RateLimitTest, AdmitsLimitChatsCountingDown) {
  auto sid = session_for("a");
  for (uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("chat " + std::to_string(i + 1));
    auto r = must_chat("a", sid);
    expect_admitted(r, 3, 2 - i, 10);
    EXPECT_EQ(r.model, "ma");
  }
}

TEST_F(RateLimitTest, RefusesChatOverLimit) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  expect_limited(must_chat("a", sid), 3, 10);
  advance(4s);
  expect_limited(must_chat("a", sid), 3, 6);
}

TEST_F(RateLimitTest, WindowReopensAfterTenSeconds) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  ASSERT_TRUE(must_chat("a", sid).limited);
  advance(10s);
  for (uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("chat " + std::to_string(i + 1) + " of the new window");
    expect_admitted(must_chat("a", sid), 3, 2 - i, 10);
  }
  expect_limited(must_chat("a", sid), 3, 10);
}

TEST_F(RateLimitTest, WindowStaysClosedUntilTheFullTenSeconds) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  advance(10s - 1ns);
  // 1 ns left: still closed, and reset_seconds rounds up to 1.
  expect_limited(must_chat("a", sid), 3, 1);
  advance(1ns);
  expect_admitted(must_chat("a", sid), 3, 2, 10);
}

TEST_F(RateLimitTest, ResetSecondsIsTheCeilingOfTheTimeLeft) {
  auto sid = session_for("a");
  expect_admitted(must_chat("a", sid), 3, 2, 10);
  advance(3s);
  expect_admitted(must_chat("a", sid), 3, 1, 7);
  advance(500ms); // 6.5 s left
  expect_admitted(must_chat("a", sid), 3, 0, 7);
  advance(500ms); // 6 s left
  expect_limited(must_chat("a", sid), 3, 6);
}

TEST_F(RateLimitTest, RefusedChatsNeitherConsumeQuotaNorMoveTheWindow) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  advance(5s);
  for (int i = 0; i < 5; ++i)
    expect_limited(must_chat("a", sid), 3, 5);
  advance(4s);
  expect_limited(must_chat("a", sid), 3, 1);
  advance(1s); // 10 s after the window opened, whatever was refused since
  for (uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("chat " + std::to_string(i + 1) + " of the new window");
    expect_admitted(must_chat("a", sid), 3, 2 - i, 10);
  }
}

TEST_F(RateLimitTest, LimitIsPerTenant) {
  auto a_sid = session_for("a");
  auto b_sid = session_for("b");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", a_sid).limited);
  ASSERT_TRUE(must_chat("a", a_sid).limited);
  expect_admitted(must_chat("b", b_sid), 2, 1, 10);
  expect_admitted(must_chat("b", b_sid), 2, 0, 10);
  expect_limited(must_chat("b", b_sid), 2, 10);
  // B filling up did not give A anything back either.
  expect_limited(must_chat("a", a_sid), 3, 10);
}

TEST_F(RateLimitTest, LimitIsSharedByAllSessionsOfATenant) {
  auto s1 = session_for("a");
  auto s2 = session_for("a");
  auto s3 = session_for("a");
  expect_admitted(must_chat("a", s1), 3, 2, 10);
  expect_admitted(must_chat("a", s2), 3, 1, 10);
  expect_admitted(must_chat("a", s3), 3, 0, 10);
  expect_limited(must_chat("a", session_for("a")), 3, 10);
}

TEST_F(RateLimitTest, NoLimitAdmitsEveryChat) {
  auto sid = session_for("free");
  for (int i = 0; i < 1000; ++i) {
    auto r = must_chat("free", sid);
    ASSERT_FALSE(r.limited) << "chat " << i + 1;
    ASSERT_EQ(r.reply, "ping");
    ASSERT_EQ(r.model, "mf");
    ASSERT_EQ(r.window.limit, 0u) << "chat " << i + 1;
  }
}

TEST_F(RateLimitTest, UnknownSessionDoesNotConsumeQuota) {
  auto sid = session_for("a");
  // Refused through the directory...
  for (int i = 0; i < 5; ++i)
    EXPECT_ERRC(chat("a", never_issued, "ping"), errc::unknown_session);
  // ...and by the tenant actor itself, when asked directly.
  auto tenant = tenant_of("a");
  ASSERT_OK(tenant);
  for (int i = 0; i < 5; ++i)
    EXPECT_ERRC(chat_direct(*tenant, session_id::generate(), "ping"),
                errc::unknown_session);
  for (uint32_t i = 0; i < 3; ++i)
    expect_admitted(must_chat("a", sid), 3, 2 - i, 10);
}

TEST_F(RateLimitTest, ForeignSessionDoesNotConsumeQuota) {
  auto a_sid = session_for("a");
  auto b_sid = session_for("b");
  for (int i = 0; i < 5; ++i)
    EXPECT_ERRC(chat("a", b_sid, "ping"), errc::foreign_session);
  for (uint32_t i = 0; i < 3; ++i)
    expect_admitted(must_chat("a", a_sid), 3, 2 - i, 10);
}

// -- the clock the actors read ------------------------------------------------

using VirtualClockTest = actor_fixture;

TEST_F(VirtualClockTest, ActorsReadTheTestCoordinatorsClock) {
  EXPECT_EQ(&sys.clock(), static_cast<caf::actor_clock*>(&sched.clock()));
  auto t0 = sys.clock().now();
  advance(3s);
  EXPECT_EQ(sys.clock().now() - t0, caf::timespan{3s});
  // Wall time does not leak in: without advancing, the clock stands still.
  EXPECT_EQ(sys.clock().now() - t0, caf::timespan{3s});
}

} // namespace
