// The bridge and the router against a registry that never answers: asks
// fail with request_timeout after the configured deadline, and the router
// turns that into 504 with a JSON detail. Real actor system, real threads.

#include <chrono>
#include <future>

#include <boost/json/parse.hpp>
#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/system.hpp"
#include "http/bridge.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"

namespace {

using namespace tenantd;
using namespace std::chrono_literals;
namespace beast_http = boost::beast::http;

// Implements the registry interface but keeps every request unanswered
// (promises are held, so CAF reports no broken promise).
struct silent_state {
  std::vector<caf::response_promise> held;
};

registry_actor::behavior_type
silent_registry(registry_actor::stateful_pointer<silent_state> self) {
  auto hold = [self]() {
    self->state.held.push_back(self->make_response_promise());
  };
  return {
    [=](atom::list) -> caf::result<std::vector<std::string>> {
      hold();
      return caf::delegated<std::vector<std::string>>{};
    },
    [=](atom::open, std::string&) -> caf::result<session_grant> {
      hold();
      return caf::delegated<session_grant>{};
    },
    [=](atom::chat, std::string&, std::string&,
        std::string&) -> caf::result<chat_result> {
      hold();
      return caf::delegated<chat_result>{};
    },
    [=](atom::page, uint64_t, uint64_t) -> caf::result<tenant_page> {
      hold();
      return caf::delegated<tenant_page>{};
    },
    [=](atom::create, tenant_config&) -> caf::result<tenant_record> {
      hold();
      return caf::delegated<tenant_record>{};
    },
    [=](atom::update, std::string&, std::string&) -> caf::result<tenant_record> {
      hold();
      return caf::delegated<tenant_record>{};
    },
    [=](atom::status, std::string&,
        tenant_status) -> caf::result<tenant_record> {
      hold();
      return caf::delegated<tenant_record>{};
    },
    [=](atom::tenant, std::string&) -> caf::result<tenant_record> {
      hold();
      return caf::delegated<tenant_record>{};
    },
    [=](atom::activate, std::string&) -> caf::result<tenant_actor> {
      hold();
      return caf::delegated<tenant_actor>{};
    },
    [=](atom::passivate) -> caf::result<caf::ok_atom> {
      hold();
      return caf::delegated<caf::ok_atom>{};
    },
    [=](atom::ready) -> caf::result<caf::ok_atom> {
      hold();
      return caf::delegated<caf::ok_atom>{};
    },
    [=](atom::sweep) {},
  };
}

struct BridgeDeadline : testing::Test {
  BridgeDeadline() : sys(init(cfg)), registry(sys.spawn(silent_registry)) {
  }

  ~BridgeDeadline() override {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  }

  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    register_actor_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    return cfg;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  registry_actor registry;
};

TEST_F(BridgeDeadline, AskFailsWithRequestTimeoutAfterItsDeadline) {
  http::bridge asks{sys, registry, 200ms, 2};
  std::promise<caf::error> result;
  auto start = std::chrono::steady_clock::now();
  asks.ask<std::vector<std::string>>(
    [&](caf::expected<std::vector<std::string>> x) {
      result.set_value(x ? caf::error{} : x.error());
    },
    atom::list_v);
  auto fut = result.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(fut.get(), caf::sec::request_timeout);
  // Not before the deadline; at most a tick (plus scheduling) after it.
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 2s);
  asks.stop();
}

TEST_F(BridgeDeadline, EveryAskIsAnsweredExactlyOnce) {
  http::bridge asks{sys, registry, 100ms, 3};
  constexpr int n = 300;
  std::atomic<int> calls{0};
  std::promise<void> all;
  for (int i = 0; i < n; ++i)
    asks.ask<std::vector<std::string>>(
      [&](caf::expected<std::vector<std::string>>) {
        if (++calls == n)
          all.set_value();
      },
      atom::list_v);
  ASSERT_EQ(all.get_future().wait_for(5s), std::future_status::ready);
  std::this_thread::sleep_for(300ms); // no second call may follow
  EXPECT_EQ(calls.load(), n);
  asks.stop();
}

TEST_F(BridgeDeadline, RouterAnswersTimeoutWith504AndJsonDetail) {
  http::bridge asks{sys, registry, 100ms, 1};
  metrics::metrics meters;
  http::router_options options;
  options.admin_token = "test-token";
  http::router route{asks, options, meters};
  http::request req{beast_http::verb::post, "/chat", 11};
  req.set(beast_http::field::content_type, "application/json");
  req.body() = R"({"tenant_id":"acme","session_id":"x","message":"hi"})";
  req.prepare_payload();
  std::promise<http::response> answer;
  route(std::move(req),
        [&](http::response res) { answer.set_value(std::move(res)); });
  auto fut = answer.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  auto res = fut.get();
  EXPECT_EQ(res.result(), beast_http::status::gateway_timeout);
  EXPECT_EQ(res[beast_http::field::content_type], "application/json");
  EXPECT_EQ(res.body(), R"({"detail":"Upstream actor timed out"})");
  asks.stop();
}

TEST_F(BridgeDeadline, ReadyzIs503WhenNotAcceptingOrWhenActorsDoNotAnswer) {
  http::bridge asks{sys, registry, 100ms, 1};
  metrics::metrics meters;
  http::router route{asks, http::router_options{}, meters};
  auto readyz = [&] {
    std::promise<http::response> answer;
    route(http::request{beast_http::verb::get, "/readyz", 11},
          [&](http::response res) { answer.set_value(std::move(res)); });
    auto fut = answer.get_future();
    EXPECT_EQ(fut.wait_for(5s), std::future_status::ready);
    return fut.get();
  };
  auto before = readyz(); // the server has not started accepting
  EXPECT_EQ(before.result(), beast_http::status::service_unavailable);
  EXPECT_EQ(before.body(), R"({"detail":"Not ready: not accepting requests"})");
  route.set_accepting(true);
  auto silent = readyz(); // the registry never answers
  EXPECT_EQ(silent.result(), beast_http::status::service_unavailable);
  EXPECT_EQ(silent.body(), R"({"detail":"Not ready: actors not answering"})");
  asks.stop();
}

TEST_F(BridgeDeadline, ByDefaultOnlyAnswersOf500AndAboveAreLogged) {
  http::bridge asks{sys, registry, 100ms, 1};
  metrics::metrics meters;
  http::router route{asks, http::router_options{}, meters}; // logging: errors
  auto answer = [&](http::request req) {
    std::promise<http::response> done;
    route(std::move(req),
          [&](http::response res) { done.set_value(std::move(res)); });
    auto fut = done.get_future();
    EXPECT_EQ(fut.wait_for(5s), std::future_status::ready);
    return fut.get();
  };
  testing::internal::CaptureStderr();
  http::request missing{beast_http::verb::get, "/nope", 11};
  missing.set("X-Request-Id", "not-logged-404");
  EXPECT_EQ(answer(std::move(missing)).result(), beast_http::status::not_found);
  http::request chat{beast_http::verb::post, "/chat", 11};
  chat.set("X-Request-Id", "logged-504");
  chat.set(beast_http::field::content_type, "application/json");
  chat.body() = R"({"tenant_id":"acme","session_id":"x","message":"hi"})";
  chat.prepare_payload();
  EXPECT_EQ(answer(std::move(chat)).result(),
            beast_http::status::gateway_timeout);
  auto log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.find("not-logged-404"), std::string::npos) << log;
  EXPECT_NE(log.find("WARN  http: request_id=logged-504 method=POST "
                     "route=/chat tenant=_unknown status=504"),
            std::string::npos)
    << log;
  asks.stop();
}

} // namespace
