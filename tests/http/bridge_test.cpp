// The lanes (http/bridge) and the router against actors of the tests' own:
// a registry that never answers (asks fail with request_timeout after the
// deadline, and the router turns that into 504 with a JSON detail), and a
// directory whose tenant actors count what reaches them (a tenant's
// requests go straight to its actor after one lookup; a stale handle is
// looked up again and the request resent; a handle is forgotten once its
// actor is gone). Real actor system, real threads.

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/interfaces.hpp"
#include "http/bridge.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/io_thread.hpp"
#include "tests/support/silent_actor.hpp"
#include "util/log.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace beast_http = boost::beast::http;


// Implements the registry interface but keeps every request unanswered.
registry_actor::behavior_type
silent_registry(registry_actor::stateful_pointer<silent_state> self) {
  return {
    [=](const list_active_tenants&) -> caf::result<std::vector<std::string>> {
      return hold<std::vector<std::string>>(self);
    },
    [=](const list_tenants&) -> caf::result<tenant_page> {
      return hold<tenant_page>(self);
    },
    [=](const find_tenant&) -> caf::result<tenant_actor> {
      return hold<tenant_actor>(self);
    },
    [=](const create_tenant&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const update_tenant&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const set_tenant_status&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const read_tenant&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const tenant_idle&) {},
    [=](const record_audit&) {},
    [=](const read_audit&) -> caf::result<audit_page> {
      return hold<audit_page>(self);
    },
    [=](atom::passivate) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](atom::ready) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
  };
}

// What the test actors saw.
struct sightings {
  std::atomic<int> lookups{0};
  std::atomic<int> chats{0};
};

// A tenant actor that answers every chat with its own name as the reply,
// or refuses with errc::not_serving once `retired` (as a passivating one
// does).
tenant_actor::behavior_type fake_tenant(tenant_actor::pointer self,
                                        std::string name,
                                        std::shared_ptr<sightings> seen,
                                        std::shared_ptr<std::atomic<bool>> retired) {
  return {
    [=](const open_session&) -> caf::result<session_grant> {
      return session_grant{};
    },
    [=](const chat_request&) -> caf::result<chat_result> {
      if (*retired)
        return make_error(errc::not_serving);
      ++seen->chats;
      chat_result r;
      r.reply = name;
      return r;
    },
    [=](const completion_request&) { return chat_result{}; },
    [=](const list_models&) { return model_list{}; },
    [=](const chat_completed&) {},
    [=](const read_messages&) { return message_page{}; },
    [=](const delete_messages&) { return caf::ok_atom::value; },
    [=](const create_user&) { return user_record{}; },
    [=](const list_users&) { return user_page{}; },
    [=](const read_user&) { return user_record{}; },
    [=](const update_user&) { return user_record{}; },
    [=](const delete_user&) { return caf::ok_atom::value; },
    [=](const create_api_key&) { return api_key_record{}; },
    [=](const list_api_keys&) { return api_key_page{}; },
    [=](const revoke_api_key&) { return caf::ok_atom::value; },
    [=](const login_request&) { return principal{}; },
    [=](const authenticate&) { return principal{}; },
    [=](const read_settings&) { return tenant_record{}; },
    [=](const change_settings&) { return tenant_record{}; },
    [=](const read_audit&) { return audit_page{}; },
    [=](const verify_audit&) { return audit_verdict{}; },
    [=](const password_done&) {},
    [=](atom::tenant) { return tenant_config{}; },
    [=](const apply_config&) { return tenant_stats{}; },
    [=](const apply_status&) { return tenant_stats{}; },
    [=](atom::stats) { return tenant_stats{}; },
    [=](atom::passivate) { return caf::ok_atom::value; },
    [=](atom::touch) {},
    [=](atom::sweep) {},
    [=](atom::cleanup) {},
    [=](atom::idle) {},
    [=](atom::pace) {},
  };
}

// A directory of one tenant, "acme": hands out its current actor, counting
// lookups. `replace` (a message of the test's own) retires the current
// actor and spawns a new one named `name`.
struct directory_state {
  tenant_actor current;
  std::shared_ptr<std::atomic<bool>> retired;
};

using replace_atom = caf::atom_constant<caf::atom("replace")>;

caf::behavior directory(caf::stateful_actor<directory_state>* self,
                        std::shared_ptr<sightings> seen) {
  auto spawn = [self, seen](std::string name) {
    self->state.retired = std::make_shared<std::atomic<bool>>(false);
    self->state.current = self->spawn(fake_tenant, name, seen,
                                      self->state.retired);
  };
  spawn("first");
  return {
    [=](const find_tenant& msg) -> caf::result<tenant_actor> {
      ++seen->lookups;
      if (msg.tenant != "acme")
        return make_error(errc::unknown_tenant);
      return self->state.current;
    },
    [=](replace_atom, const std::string& name, bool kill_old) {
      *self->state.retired = true;
      if (kill_old)
        caf::anon_send_exit(self->state.current, caf::exit_reason::kill);
      spawn(name);
      return caf::ok_atom::value;
    },
  };
}

struct Bridge : testing::Test {
  Bridge() : sys(init(cfg)) {
  }

  ~Bridge() override {
    // The I/O thread first: nothing may run on a lane while it goes.
    io.stop();
    asks.reset();
    for (auto& a : stop_at_end)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    register_actor_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    return cfg;
  }

  /// A bridge with one lane on `io`, asking `registry`.
  http::lane& lane_to(registry_actor registry, std::chrono::milliseconds timeout) {
    stop_at_end.push_back(caf::actor_cast<caf::actor>(registry));
    asks.emplace(sys, registry, timeout,
                 std::vector<boost::asio::io_context*>{&io.context()});
    return asks->at(0);
  }

  http::lane& lane_to_silent(std::chrono::milliseconds timeout) {
    return lane_to(sys.spawn(silent_registry), timeout);
  }

  /// A lane to a directory of the fake tenant "acme".
  http::lane& lane_to_directory() {
    directory_actor = sys.spawn(directory, seen);
    return lane_to(caf::actor_cast<registry_actor>(directory_actor), 5s);
  }

  /// A chat through the lane, waited for.
  caf::expected<chat_result> chat(http::lane& lane, std::string tenant) {
    std::promise<caf::expected<chat_result>> done;
    io.post([&] {
      lane.ask_tenant<chat_result>(
        chat_request{tenant, session_id::nil(), "hi", principal{}},
        [&](caf::expected<chat_result> r) { done.set_value(std::move(r)); });
    });
    auto fut = done.get_future();
    EXPECT_EQ(fut.wait_for(5s), std::future_status::ready);
    return fut.get();
  }

  /// Retires the directory's actor (killing it if `kill_old`) for a new one.
  void replace_actor(std::string name, bool kill_old) {
    caf::scoped_actor self{sys};
    self->request(directory_actor, 5s, replace_atom::value, name, kill_old)
      .receive([](caf::ok_atom) {},
               [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  std::shared_ptr<sightings> seen = std::make_shared<sightings>();
  caf::actor directory_actor;
  std::vector<caf::actor> stop_at_end;
  io_thread io;
  std::optional<http::bridge> asks;
};

using BridgeDeadline = Bridge;
using BridgeDirectory = Bridge;

TEST_F(BridgeDeadline, AskFailsWithRequestTimeoutAfterItsDeadline) {
  auto& lane = lane_to_silent(200ms);
  std::promise<caf::error> result;
  auto start = std::chrono::steady_clock::now();
  io.post([&] {
    lane.ask_registry<std::vector<std::string>>(
      list_active_tenants{}, [&](caf::expected<std::vector<std::string>> x) {
        result.set_value(x ? caf::error{} : x.error());
      });
  });
  auto fut = result.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(fut.get(), caf::sec::request_timeout);
  // Not before the deadline; at most a tick (plus scheduling) after it.
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_EQ(asks->counters().timed_out.load(), 1u);
  EXPECT_EQ(asks->counters().in_flight.load(), 0);
}

TEST_F(BridgeDeadline, EveryAskIsAnsweredExactlyOnce) {
  auto& lane = lane_to_silent(100ms);
  constexpr int n = 300;
  std::atomic<int> calls{0};
  std::promise<void> all;
  io.post([&] {
    for (int i = 0; i < n; ++i)
      lane.ask_registry<std::vector<std::string>>(
        list_active_tenants{}, [&](caf::expected<std::vector<std::string>>) {
          if (++calls == n)
            all.set_value();
        });
  });
  ASSERT_EQ(all.get_future().wait_for(5s), std::future_status::ready);
  std::this_thread::sleep_for(300ms); // no second call may follow
  EXPECT_EQ(calls.load(), n);
  EXPECT_EQ(io.call([&] { return lane.waiting(); }), 0u);
}

// The router's answer to `req` on the lane's thread, waited for.
http::response answer(io_thread& io, http::router& route, http::request req) {
  std::promise<http::response> done;
  io.post([&] {
    route(std::move(req), 0, boost::asio::ip::address_v4::loopback(),
          [&](http::response res, std::shared_ptr<http::body_stream>) {
            done.set_value(std::move(res));
          });
  });
  auto fut = done.get_future();
  EXPECT_EQ(fut.wait_for(5s), std::future_status::ready);
  return fut.get();
}

http::request chat_post(std::string_view request_id = {}) {
  http::request chat{beast_http::verb::post, "/chat", 11};
  if (!request_id.empty())
    chat.set("X-Request-Id", request_id);
  chat.set(beast_http::field::content_type, "application/json");
  chat.body() = R"({"tenant_id":"acme","session_id":"x","message":"hi"})";
  chat.prepare_payload();
  return chat;
}

TEST_F(BridgeDeadline, RouterAnswersTimeoutWith504AndJsonDetail) {
  lane_to_silent(100ms);
  metrics::metrics meters;
  http::router_options options;
  options.admin_token = "test-token";
  http::router route{*asks, std::make_shared<active_tenants_view>(), options, meters};
  auto res = answer(io, route, chat_post());
  EXPECT_EQ(res.result(), beast_http::status::gateway_timeout);
  EXPECT_EQ(res[beast_http::field::content_type], "application/json");
  EXPECT_EQ(res.body(), R"({"detail":"Upstream actor timed out"})");
}

TEST_F(BridgeDeadline, ReadyzIs503WhenNotAcceptingOrWhenActorsDoNotAnswer) {
  lane_to_silent(100ms);
  metrics::metrics meters;
  http::router route{*asks, std::make_shared<active_tenants_view>(), http::router_options{}, meters};
  auto readyz = [&] {
    return answer(io, route, http::request{beast_http::verb::get, "/readyz", 11});
  };
  auto before = readyz(); // the server has not started accepting
  EXPECT_EQ(before.result(), beast_http::status::service_unavailable);
  EXPECT_EQ(before.body(), R"({"detail":"Not ready: not accepting requests"})");
  route.set_accepting(true);
  auto silent = readyz(); // the registry never answers
  EXPECT_EQ(silent.result(), beast_http::status::service_unavailable);
  EXPECT_EQ(silent.body(), R"({"detail":"Not ready: actors not answering"})");
}

TEST_F(BridgeDeadline, ByDefaultOnlyAnswersOf500AndAboveAreLogged) {
  lane_to_silent(100ms);
  metrics::metrics meters;
  http::router route{*asks, std::make_shared<active_tenants_view>(), http::router_options{}, meters}; // logging: errors
  testing::internal::CaptureStderr();
  http::request missing{beast_http::verb::get, "/nope", 11};
  missing.set("X-Request-Id", "not-logged-404");
  EXPECT_EQ(answer(io, route, std::move(missing)).result(),
            beast_http::status::not_found);
  EXPECT_EQ(answer(io, route, chat_post("logged-504")).result(),
            beast_http::status::gateway_timeout);
  log::flush(); // lines are written by the logger's own thread
  auto log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.find("not-logged-404"), std::string::npos) << log;
  EXPECT_NE(log.find("WARN  http: request_id=logged-504 method=POST "
                     "route=/chat tenant=_unknown principal=anonymous status=504"),
            std::string::npos)
    << log;
}

TEST_F(BridgeDirectory, ATenantsRequestsGoStraightToItsActorAfterOneLookup) {
  auto& lane = lane_to_directory();
  for (int i = 0; i < 5; ++i) {
    auto r = chat(lane, "acme");
    ASSERT_TRUE(r) << sys.render(r.error());
    EXPECT_EQ(r->reply, "first");
  }
  EXPECT_EQ(seen->lookups.load(), 1);
  EXPECT_EQ(seen->chats.load(), 5);
  EXPECT_EQ(io.call([&] { return lane.known_tenants(); }), 1u);
  // An unknown tenant is the directory's answer, and is not kept.
  auto unknown = chat(lane, "umbrella");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(is(unknown.error(), errc::unknown_tenant));
  EXPECT_EQ(io.call([&] { return lane.known_tenants(); }), 1u);
}

TEST_F(BridgeDirectory, AHandleThatNoLongerServesIsLookedUpAgainAndTheRequestResent) {
  auto& lane = lane_to_directory();
  ASSERT_TRUE(chat(lane, "acme"));
  // Retired but alive: it answers not_serving, having done nothing.
  replace_actor("second", false);
  auto r = chat(lane, "acme");
  ASSERT_TRUE(r) << sys.render(r.error());
  EXPECT_EQ(r->reply, "second");
  EXPECT_EQ(seen->lookups.load(), 2);
  EXPECT_EQ(seen->chats.load(), 2); // each chat was served once
}

TEST_F(BridgeDirectory, AHandleToADeadActorIsForgottenAndLookedUpAgain) {
  auto& lane = lane_to_directory();
  ASSERT_TRUE(chat(lane, "acme"));
  EXPECT_EQ(io.call([&] { return lane.known_tenants(); }), 1u);
  replace_actor("third", true);
  // The handle goes when its actor does, without a request to find out.
  EXPECT_TRUE([&] {
    for (int i = 0; i < 500; ++i) {
      if (io.call([&] { return lane.known_tenants(); }) == 0)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }());
  auto r = chat(lane, "acme");
  ASSERT_TRUE(r) << sys.render(r.error());
  EXPECT_EQ(r->reply, "third");
  EXPECT_EQ(seen->lookups.load(), 2);
}

TEST_F(BridgeDirectory, AContinuationThatThrowsLeavesTheLaneWorking) {
  auto& lane = lane_to_directory();
  std::promise<void> thrown;
  io.post([&] {
    lane.ask_tenant<chat_result>(
      chat_request{"acme", session_id::nil(), "hi", principal{}},
      [&](caf::expected<chat_result>) {
        thrown.set_value();
        throw std::runtime_error("injected by the test");
      });
  });
  ASSERT_EQ(thrown.get_future().wait_for(5s), std::future_status::ready);
  // The I/O thread survived, and the ask is over.
  auto r = chat(lane, "acme");
  ASSERT_TRUE(r) << sys.render(r.error());
  EXPECT_EQ(r->reply, "first");
  EXPECT_EQ(io.call([&] { return lane.waiting(); }), 0u);
}

} // namespace
