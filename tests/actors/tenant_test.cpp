// A tenant actor's rate limit and reply bandwidth, in virtual time, and the
// clock actors read.

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

// -- tenant reply bandwidth, in virtual time -----------------------------------

// Every tenant gets 1,000 reply bytes per second (bursts of MAX_REPLY_BYTES,
// 1,024) but "fast", which sets its own 1,000,000. Replies of 500 bytes (the
// actors do not check a message's length; HTTP does).
class ReplyBandwidthTest : public actor_fixture {
protected:
  void SetUp() override {
    settings.replies.max_reply_bytes = 1024;
    settings.replies.max_message_chars = 100; // so that patches fit it
    settings.replies.bytes_per_s_per_tenant = 1000;
    auto fast = make_tenant("fast", "Fast", "wf", "mf", 0, "{message}");
    fast.limits.reply_bytes_per_s = 1'000'000;
    start_registry(
      {make_tenant("paced", "Paced", "wp", "mp", 0, "{message}"), fast});
  }

  const std::string message = std::string(500, 'x');

  /// Asks for a chat without waiting for its answer.
  auto request_chat(const std::string& tenant, const std::string& sid) {
    auto actor = tenant_of(tenant);
    EXPECT_TRUE(actor);
    return self->request(*actor, caf::infinite,
                         chat_message(tenant, sid, message));
  }

  /// Chats in `sid` and expects the reply at once.
  void expect_chat(const std::string& tenant, const std::string& sid) {
    auto r = chat(tenant, sid, message);
    ASSERT_TRUE(r) << render(r.error());
    EXPECT_EQ(r->reply, message);
  }

  /// Uses up paced's burst in `sid` (two replies at once), then asks for
  /// a third, which is held back for 476 ms.
  auto chat_past_the_burst(const std::string& sid) {
    for (int i = 0; i < 2; ++i)
      expect_chat("paced", sid);
    auto held = request_chat("paced", sid);
    run();
    EXPECT_TRUE(self->mailbox().empty());
    return held;
  }

  /// Expects `handle`'s answer to be the reply.
  template <class Handle>
  void expect_reply(Handle& handle) {
    handle.receive([&](chat_result& r) { EXPECT_EQ(r.reply, message); },
                   [&](caf::error& err) { ADD_FAILURE() << render(err); });
  }
};

TEST_F(ReplyBandwidthTest, RepliesPastTheBurstAreHeldBackAtTheRateInOrder) {
  auto sid = session_for("paced");
  for (int i = 0; i < 2; ++i) // 1,000 of the 1,024-byte burst
    expect_chat("paced", sid);
  // 500 bytes at 1,000 B/s: due 0.476 s and 0.976 s from now.
  auto third = request_chat("paced", sid);
  auto fourth = request_chat("paced", sid);
  run();
  EXPECT_TRUE(self->mailbox().empty());
  advance(475ms);
  EXPECT_TRUE(self->mailbox().empty());
  advance(1ms);
  ASSERT_FALSE(self->mailbox().empty());
  expect_reply(third);
  advance(499ms);
  EXPECT_TRUE(self->mailbox().empty());
  advance(1ms);
  ASSERT_FALSE(self->mailbox().empty());
  expect_reply(fourth);
}

TEST_F(ReplyBandwidthTest, AChatThatWouldWaitOverASecondIsRefusedAtOnce) {
  auto sid = session_for("paced");
  for (int i = 0; i < 2; ++i)
    expect_chat("paced", sid);
  auto third = request_chat("paced", sid);
  auto fourth = request_chat("paced", sid); // due 0.976 s from now
  run();
  // The fifth would be due 1.476 s from now: refused, and not charged.
  EXPECT_ERRC(chat("paced", sid, message), errc::reply_rate_exceeded);
  EXPECT_ERRC(chat("paced", sid, message), errc::reply_rate_exceeded);
  advance(1s);
  expect_reply(third);
  expect_reply(fourth);
  // Due 0.476 s from now; had the refused ones been charged, 1.476 s.
  auto fifth = request_chat("paced", sid);
  run();
  EXPECT_TRUE(self->mailbox().empty());
  advance(476ms);
  expect_reply(fifth);
  auto actor = tenant_of("paced");
  ASSERT_OK(actor);
  auto stats = ask<tenant_stats>(*actor, atom::stats_v);
  ASSERT_OK(stats);
  EXPECT_EQ(stats->chats, 5u);
}

TEST_F(ReplyBandwidthTest, ATenantsOwnLimitWinsAndOthersAreNotHeldBack) {
  auto paced = session_for("paced");
  auto fast = session_for("fast");
  auto held = chat_past_the_burst(paced);
  // 100 replies of 500 bytes: 50 KB, within fast's burst of 1 MB.
  for (int i = 0; i < 100; ++i)
    expect_chat("fast", fast);
  advance(476ms);
  expect_reply(held);
}

TEST_F(ReplyBandwidthTest, APatchSetsTheLimitFromTheNextChat) {
  auto sid = session_for("paced");
  for (int i = 0; i < 2; ++i)
    expect_chat("paced", sid);
  auto raised = update("paced", R"({"limits":{"reply_bytes_per_s":100000}})");
  ASSERT_OK(raised);
  for (int i = 0; i < 100; ++i)
    expect_chat("paced", sid);
  auto dropped = update("paced", R"({"limits":{"reply_bytes_per_s":null}})");
  ASSERT_OK(dropped);
  auto held = chat_past_the_burst(sid);
  advance(476ms);
  expect_reply(held);
}

TEST_F(ReplyBandwidthTest, PassivationSendsTheAnswersHeldBack) {
  auto sid = session_for("paced");
  auto actor = tenant_of("paced");
  ASSERT_OK(actor);
  auto held = chat_past_the_burst(sid);
  auto stop = self->request(*actor, caf::infinite, atom::passivate_v);
  run();
  expect_reply(held);
  stop.receive([](caf::ok_atom) {},
               [&](caf::error& err) { ADD_FAILURE() << render(err); });
}

// -- a tenant routed to an upstream ----------------------------------------------

// "ai" is answered by an upstream: chats come back as plans, and the
// exchanges the HTTP layer reports become the session's history.
class UpstreamPlanTest : public actor_fixture {
protected:
  void SetUp() override {
    auto ai = make_tenant("ai", "Aico", "Welcome!", "mock-ai", 0, "{message}");
    ai.ai.provider = ai_provider::openai;
    ai.ai.upstream = {"https://llm.example/v1", "gpt-x", "sk-primary"};
    ai.ai.fallbacks = {{"http://127.0.0.1:9/v1", "llama", ""}};
    ai.ai.system_prompt = "You serve {name}. {welcome}";
    ai.ai.temperature = 0.25;
    ai.ai.history = {3, 1000};
    start_registry({ai});
  }

  /// Reports an exchange of `sid` as the HTTP layer does.
  void completed(const std::string& sid, std::string message,
                 std::string reply) {
    chat_completed report;
    report.tenant = "ai";
    report.session = *session_id::parse(sid);
    report.message = std::move(message);
    report.reply = std::move(reply);
    report.prompt_tokens = report.completion_tokens = 1;
    send_report(std::move(report));
  }

  void send_report(chat_completed report) {
    auto tenant = tenant_of("ai");
    ASSERT_TRUE(tenant);
    self->send(*tenant, std::move(report));
    run();
  }

  /// The contents of a plan's messages, "role: content".
  static std::vector<std::string> turns(const upstream_plan& plan) {
    std::vector<std::string> out;
    for (auto& t : plan.messages)
      out.push_back(t.role + ": " + t.content);
    return out;
  }
};

TEST_F(UpstreamPlanTest, AChatIsPlannedWithRoutesPromptAndMessage) {
  auto sid = session_for("ai");
  auto r = chat("ai", sid, "  hello  ");
  ASSERT_TRUE(r) << render(r.error());
  EXPECT_TRUE(r->upstream);
  EXPECT_EQ(r->reply, "");
  auto& plan = r->plan;
  ASSERT_EQ(plan.routes.size(), 2u);
  EXPECT_EQ(plan.routes[0].api_key, "sk-primary");
  EXPECT_EQ(plan.routes[1].model, "llama");
  EXPECT_EQ(plan.temperature, 0.25);
  EXPECT_EQ(plan.max_tokens, 1024u);
  EXPECT_EQ(turns(plan), (std::vector<std::string>{
                           "system: You serve Aico. Welcome!", "user: hello"}));
  EXPECT_EQ(record_of("ai")->stats.chats, 1u);
}

TEST_F(UpstreamPlanTest, ReportedExchangesAreTheHistoryNewestKept) {
  auto sid = session_for("ai");
  auto other = session_for("ai");
  completed(sid, "one", "1");
  completed(sid, "two", "2");
  completed(other, "elsewhere", "x");
  auto r = chat("ai", sid, "three");
  ASSERT_TRUE(r) << render(r.error());
  // Three turns at most: the oldest ("one") is gone.
  EXPECT_EQ(turns(r->plan),
            (std::vector<std::string>{"system: You serve Aico. Welcome!",
                                      "assistant: 1", "user: two",
                                      "assistant: 2", "user: three"}));
  // An unknown session's report is ignored.
  completed("00000000-0000-4000-8000-000000000000", "lost", "lost");
  EXPECT_EQ(turns(chat("ai", other, "again")->plan).size(), 4u);
}

TEST_F(UpstreamPlanTest, TheTokenBudgetEndsTheHistorySent) {
  ASSERT_TRUE(update("ai", R"({"ai":{"history":{"turns":10,"tokens":20}}})"));
  auto sid = session_for("ai");
  completed(sid, std::string(200, 'a'), "short");
  completed(sid, "recent", "newest");
  auto r = chat("ai", sid, "now");
  ASSERT_TRUE(r) << render(r.error());
  // About 6 tokens each for the last exchange; the 200-byte turn is over.
  EXPECT_EQ(turns(r->plan),
            (std::vector<std::string>{"system: You serve Aico. Welcome!",
                                      "assistant: short", "user: recent",
                                      "assistant: newest", "user: now"}));
}

// limits.tokens_per_minute: a chat that would not fit with all its history
// sends less of it (the oldest first) rather than being refused for good.
TEST_F(UpstreamPlanTest, TheTokenLimitDropsTheOldestHistoryFirst) {
  auto sid = session_for("ai");
  completed(sid, std::string(100, 'a'), std::string(100, 'b'));
  // 24 + 3 bytes, 2 messages (16 + 8), 1024 of max_tokens: 1075 without
  // history; the user's 100-byte turn (108) must go, the answer fits.
  ASSERT_TRUE(update("ai", R"({"limits":{"tokens_per_minute":1200}})"));
  auto r = chat("ai", sid, "now");
  ASSERT_TRUE(r) << render(r.error());
  EXPECT_EQ(turns(r->plan),
            (std::vector<std::string>{"system: You serve Aico. Welcome!",
                                      "assistant: " + std::string(100, 'b'),
                                      "user: now"}));
  EXPECT_EQ(r->tokens.limit, 1200u);
  // The earlier exchange reported 2 tokens used, settled in this window.
  EXPECT_EQ(r->tokens.remaining, 1198u - tenant_state::tokens_needed(r->plan));
}

// A call that timed out may have been billed: it is charged its whole
// reservation; one the upstream refused is charged nothing.
TEST_F(UpstreamPlanTest, ATimedOutCallIsChargedItsReservation) {
  ASSERT_TRUE(update("ai", R"({"limits":{"tokens_per_minute":5000}})"));
  auto sid = session_for("ai");
  auto first = chat("ai", sid, "one");
  ASSERT_TRUE(first) << render(first.error());
  auto reserved = tenant_state::tokens_needed(first->plan);
  chat_completed timed_out;
  timed_out.tenant = "ai";
  timed_out.session = *session_id::parse(sid);
  timed_out.generation = first->plan.generation;
  timed_out.reservation = first->plan.reservation;
  timed_out.failure = "timeout";
  send_report(timed_out);
  auto second = chat("ai", sid, "two");
  ASSERT_TRUE(second) << render(second.error());
  auto again = tenant_state::tokens_needed(second->plan);
  EXPECT_EQ(second->tokens.remaining, 5000u - reserved - again);
  chat_completed refused = timed_out;
  refused.reservation = second->plan.reservation;
  refused.failure = "status";
  send_report(refused);
  auto third = chat("ai", sid, "three");
  ASSERT_TRUE(third) << render(third.error());
  EXPECT_EQ(third->tokens.remaining,
            5000u - reserved - tenant_state::tokens_needed(third->plan));
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
