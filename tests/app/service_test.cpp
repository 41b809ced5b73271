// The assembled service (app/service): what survives a restart, a tenant
// that fails, graceful stops and start-up errors.

#include <future>
#include <thread>

#include <caf/all.hpp>
#include <sqlite3.h>

#include "storage/database.hpp"

#include "tests/support/http_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

TEST(HttpDurability, ARestartedServiceHasEveryTenantStatusConfigAndSession) {
  temp_dir dir;
  auto config = test_config();
  config.data_dir = dir.path();
  std::string acme_sid, hooli_sid, paused_sid;
  json::object hooli_before;
  std::string listing_before;
  {
    running_service first{seed_tenants(), config};
    http_client c{first.port()};
    for (auto cfg : {hooli(), plain_tenant("paused"), plain_tenant("gone")}) {
      auto res = admin_request(c, verb::post, "/tenants", config_json(cfg));
      ASSERT_EQ(res.result(), status::created) << res.body();
    }
    auto patched = admin_request(
      c, verb::patch, "/tenants/hooli",
      R"({"welcome":"Hooli, patched.","limits":{"chat_per_10s":50}})");
    ASSERT_EQ(patched.result(), status::ok) << patched.body();
    auto open = [&](std::string_view tenant) {
      auto res = c.post("/session", session_json(tenant));
      EXPECT_EQ(res.result(), status::ok) << res.body();
      return std::string{json::parse(res.body()).at("session_id").as_string()};
    };
    acme_sid = open("acme");
    hooli_sid = open("hooli");
    paused_sid = open("paused");
    ASSERT_EQ(c.post("/chat", chat_json("hooli", hooli_sid, "x")).result(),
              status::ok);
    ASSERT_EQ(
      admin_request(c, verb::post, "/tenants/paused/suspend").result(),
      status::ok);
    ASSERT_EQ(admin_request(c, verb::delete_, "/tenants/gone").result(),
              status::ok);
    hooli_before = without_stats(
      json::parse(admin_request(c, verb::get, "/tenants/hooli").body())
        .as_object());
    listing_before = admin_request(c, verb::get, "/tenants").body();
  }
  // The same data directory, the same tenants file: nothing is re-added.
  running_service second{seed_tenants(), config};
  http_client c{second.port()};
  EXPECT_EQ(admin_request(c, verb::get, "/tenants").body(), listing_before);
  EXPECT_EQ(
    listing_before,
    R"({"tenants":[{"id":"acme","status":"active"},{"id":"globex","status":"active"},)"
    R"({"id":"initech","status":"active"},{"id":"hooli","status":"active"},)"
    R"({"id":"paused","status":"suspended"},{"id":"gone","status":"archived"}],)"
    R"("offset":0,"limit":100,"total":6,"next":null})");
  auto hooli_after = json::parse(
    admin_request(c, verb::get, "/tenants/hooli").body());
  EXPECT_EQ(without_stats(hooli_after.as_object()), hooli_before);
  EXPECT_EQ(hooli_after.at("stats").at("sessions"), 1);
  EXPECT_EQ(c.get("/").body(),
            R"({"ok":true,"tenants":["acme","globex","initech","hooli"]})");
  // Sessions from before the restart work, with the patched config.
  auto res = c.post("/chat", chat_json("hooli", hooli_sid, "again"));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("reply"),
            "Hooli, patched. [HOOLI MOCK] AGAIN / niaga (Hooli, hooli, mock-h)");
  EXPECT_EQ(header(res, "RateLimit-Policy"), R"("chat";q=50;w=10)");
  res = c.post("/chat", chat_json("acme", acme_sid, "again"));
  EXPECT_EQ(res.body(),
            chat_response("acme", acme_sid,
                          json_quote(seed_reply("acme", "again")), "mock-1"));
  // Still suspended, then resumed with its session; still archived.
  expect_detail(c.post("/chat", chat_json("paused", paused_sid, "x")),
                status::forbidden, "Tenant is suspended");
  ASSERT_EQ(admin_request(c, verb::post, "/tenants/paused/resume").result(),
            status::ok);
  EXPECT_EQ(c.post("/chat", chat_json("paused", paused_sid, "x")).result(),
            status::ok);
  expect_detail(c.post("/session", session_json("gone")),
                status::not_found, "Unknown tenant_id");
  expect_detail(
    admin_request(c, verb::post, "/tenants", config_json(plain_tenant("gone"))),
    status::conflict, "Tenant already exists");
}

// A graceful stop stores what the tenants counted since their last periodic
// write to the store, like everything else.
TEST(HttpDurability, AGracefulStopKeepsTheLatestCounts) {
  temp_dir dir;
  auto config = test_config();
  config.data_dir = dir.path();
  {
    running_service first{seed_tenants(), config};
    http_client c{first.port()};
    auto grant = c.post("/session", session_json("globex"));
    ASSERT_EQ(grant.result(), status::ok) << grant.body();
    std::string sid{json::parse(grant.body()).at("session_id").as_string()};
    for (int i = 0; i < 5; ++i) // 4 admitted, 1 refused
      c.post("/chat", chat_json("globex", sid, "x"));
  }
  running_service second{seed_tenants(), config};
  http_client c{second.port()};
  auto res = admin_request(c, verb::get, "/tenants/globex");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("stats"),
            json::parse(
              R"({"active":false,"sessions":1,"chats":4,"rate_limited":1})"));
}

using HttpTenantFailure = http_test;

// -- a tenant that fails
// ------------------------------------------------------------------

/// The actor serving `id` (activated if need be), or the registry's error.
caf::expected<tenant_actor> serving_actor(service& svc, const std::string& id) {
  caf::scoped_actor self{svc.system()};
  caf::expected<tenant_actor> result{
    caf::make_error(caf::sec::request_timeout)};
  self->request(svc.registry(), caf::timespan{5s}, find_tenant{id, principal{}})
    .receive([&](tenant_actor& h) { result = std::move(h); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

// Kills the tenant's serving actor and waits until the registry has seen it
// go (it activates another one).
void kill_tenant(service& svc, const std::string& id) {
  auto victim = serving_actor(svc, id);
  ASSERT_TRUE(victim) << id << ": " << svc.system().render(victim.error());
  caf::anon_send_exit(*victim, caf::exit_reason::kill);
  EXPECT_TRUE(eventually([&] {
    auto now = serving_actor(svc, id);
    return !now || *now != *victim;
  }));
}

/// Makes tenant `id`'s stored config unreadable, as a damaged database row
/// would: every load of the tenant fails from then on.
void corrupt_stored_config(const std::string& data_dir, const std::string& id) {
  auto path = data_dir + "/" + database::file_name;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
            SQLITE_OK)
    << path;
  sqlite3_busy_timeout(db, 5000); // the service may be committing
  auto sql = "UPDATE tenants SET config = 'not json' WHERE id = '" + id + "'";
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
    << (error != nullptr ? error : "");
  sqlite3_free(error);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
}

TEST_F(HttpTenantFailure, ATenantRestartedAfterAFailureKeepsItsSessions) {
  auto sid = open_session("acme");
  ASSERT_EQ(chat("acme", sid, "before").result(), status::ok);
  kill_tenant(server.svc(), "acme");
  // Reactivated from the store: the session survived.
  EXPECT_EQ(
    chat("acme", sid, "after").body(),
    chat_response("acme", sid, json_quote(seed_reply("acme", "after")),
                  "mock-1"));
  auto globex = open_session("globex");
  EXPECT_EQ(chat("globex", globex, "hi").result(), status::ok);
}

TEST_F(HttpTenantFailure, ATenantThatFailsAtEveryActivationIs503ForItselfOnly) {
  // globex has not served yet, so nothing of it is in memory.
  corrupt_stored_config(server.data_dir(), "globex");
  // Each request activates it anew and the activation fails, until the
  // registry gives up on it; the client gets 503 throughout.
  auto given_up = [&] {
    auto actor = serving_actor(server.svc(), "globex");
    return !actor && is(actor.error(), errc::tenant_unavailable);
  };
  for (int i = 0; i < 50 && !given_up(); ++i)
    expect_detail(client.post("/session", session_json("globex")),
                  status::service_unavailable,
                  "Service temporarily unavailable");
  ASSERT_TRUE(given_up());
  expect_detail(client.post("/session", session_json("globex")),
                status::service_unavailable, "Service temporarily unavailable");
  expect_detail(chat("globex", "0b5c1a1e-9d4f-4c3b-8a2e-5f6d7c8b9a0f", "x"),
                status::service_unavailable, "Service temporarily unavailable");
  // Its stored row cannot be read either.
  expect_detail(admin_get("/tenants/globex"), status::service_unavailable,
                "Storage unavailable");
  // Everybody else is served as before.
  auto sid = open_session("acme");
  EXPECT_EQ(chat("acme", sid, "hi").result(), status::ok);
  create_tenant(hooli());
  EXPECT_EQ(chat("hooli", open_session("hooli"), "hi").result(), status::ok);
}

// -- graceful stop
// -----------------------------------------------------------------------

/// Occupies one actor scheduler thread until released: with a service
/// configured for one actor thread, every ask then waits.
class actor_thread_blocker {
public:
  explicit actor_thread_blocker(caf::actor_system& sys) {
    auto entered = std::make_shared<std::promise<void>>();
    auto started = entered->get_future();
    auto gate = gate_.get_future().share();
    actor_ = sys.spawn(
      [entered, gate](caf::event_based_actor* self) -> caf::behavior {
        return {[=](caf::ok_atom) {
          entered->set_value();
          gate.wait();
          self->quit();
        }};
      });
    caf::anon_send(actor_, caf::ok_atom::value);
    if (started.wait_for(5s) != std::future_status::ready)
      throw std::runtime_error("blocker actor did not start");
  }

  ~actor_thread_blocker() {
    release();
  }

  void release() {
    if (!released_) {
      released_ = true;
      gate_.set_value();
    }
  }

private:
  std::promise<void> gate_;
  bool released_ = false;
  caf::actor actor_;
};

TEST(HttpGracefulStop, AnswersTheRequestInFlightThenReturns) {
  auto config = test_config();
  config.actor_threads = 1;
  config.ask_timeout = 10s;
  running_service server{seed_tenants(), config};
  http_client idle{server.port()};
  ASSERT_EQ(idle.get("/").result(), status::ok);
  http_client busy{server.port()};
  ASSERT_EQ(busy.get("/").result(), status::ok);

  actor_thread_blocker blocker{server.svc().system()};
  busy.write(
    wire_bytes(make_request(verb::post, "/session", session_json("acme"))));
  // In flight: the server has read it (no unread bytes on its side of the
  // connection), and its ask cannot be answered while the blocker holds
  // the only actor thread.
  auto port = server.port();
  auto client_port = busy.local_port();
  auto read_by_server = eventually([&] {
    auto client_side = tcp_socket_queues(client_port, port);
    auto server_side = tcp_socket_queues(port, client_port);
    return client_side && client_side->unacked == 0 && server_side
           && server_side->unread == 0;
  });
  if (!read_by_server)
    GTEST_SKIP() << "cannot observe the connection in /proc/net/tcp";

  server.stop();
  EXPECT_TRUE(eventually([&] { return !can_connect(port); }))
    << "still accepting connections after stop()";
  EXPECT_TRUE(idle.closed_by_server())
    << "idle keep-alive connection left open";
  EXPECT_FALSE(server.returned_within(50ms))
    << "run() returned with a request in flight";

  blocker.release();
  auto res = busy.read_response();
  EXPECT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("tenant").at("id"), "acme");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(busy.closed_by_server());
  // Well before the 10 s drain deadline.
  EXPECT_TRUE(server.returned_within(5s));
  EXPECT_FALSE(can_connect(port));
}

TEST(HttpGracefulStop, FinishesAPartlyReceivedRequest) {
  running_service server{seed_tenants()};
  http_client idle{server.port()};
  ASSERT_EQ(idle.get("/").result(), status::ok);
  http_client partial{server.port()};
  auto wire = wire_bytes(
    make_request(verb::post, "/session", session_json("acme")));
  auto half = wire.size() - 5; // the header and most of the body
  partial.write(wire.substr(0, half));
  std::this_thread::sleep_for(100ms); // let the server read what came
  server.stop();
  EXPECT_TRUE(idle.closed_by_server()) << "idle connection left open";
  partial.write(wire.substr(half));
  auto res = partial.read_response();
  EXPECT_EQ(res.result(), status::ok) << res.body();
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(partial.closed_by_server());
  EXPECT_TRUE(server.returned_within(5s));
}

// A service that cannot bind stops the actors it started and throws (it
// does not hang in ~actor_system).
TEST(HttpStartup, ATakenPortOrABadHostIsAClearError) {
  running_service first{seed_tenants()};
  temp_dir dir;
  auto config = test_config();
  config.data_dir = dir.path();
  config.port = first.port();
  try {
    service second{config, seed_tenants()};
    FAIL() << "a second service bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string{e.what()},
              "cannot listen on 127.0.0.1:" + std::to_string(first.port())
                + ": Address already in use");
  }
  config = test_config();
  config.data_dir = dir.path();
  config.host = "not-an-address";
  try {
    service bad{config, seed_tenants()};
    FAIL() << "started on a bad host";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string{e.what()}, "invalid HOST 'not-an-address'");
  }
}

TEST(HttpGracefulStop, ReturnsAtOnceWhenIdle) {
  running_service server{seed_tenants()};
  {
    http_client c{server.port()};
    ASSERT_EQ(c.get("/").result(), status::ok);
    server.stop();
    EXPECT_TRUE(c.closed_by_server());
  }
  EXPECT_TRUE(server.returned_within(5s));
  EXPECT_FALSE(can_connect(server.port()));
}

// -- ADMIN_LISTEN ------------------------------------------------------------

TEST(HttpAdminListener, TheAdminApiAndMetricsMoveToTheirOwnPort) {
  auto config = test_config();
  config.admin_listen = true;
  config.admin_host = "127.0.0.1";
  config.admin_port = 0;
  running_service server{seed_tenants(), config};
  ASSERT_NE(server.admin_port(), 0);
  ASSERT_NE(server.admin_port(), server.port());
  http_client open{server.port()};
  http_client admin{server.admin_port()};
  // Gone from the public port, whatever the credentials.
  expect_detail(admin_request(open, verb::get, "/tenants"), status::not_found,
                "Not Found");
  expect_detail(admin_request(open, verb::get, "/tenants/acme"),
                status::not_found, "Not Found");
  expect_detail(open.get("/metrics"), status::not_found, "Not Found");
  // Served there.
  EXPECT_EQ(admin_request(admin, verb::get, "/tenants").result(), status::ok);
  EXPECT_EQ(admin.get("/metrics").result(), status::ok);
  // Still behind the token.
  EXPECT_EQ(admin.get("/tenants").result(), status::unauthorized);
  // The seed's routes stay public only; health is on both.
  EXPECT_EQ(open.post("/session", session_json("acme")).result(), status::ok);
  expect_detail(admin.post("/session", session_json("acme")), status::not_found,
                "Not Found");
  for (auto* c : {&open, &admin}) {
    EXPECT_EQ(c->get("/healthz").result(), status::ok);
    EXPECT_EQ(c->get("/readyz").result(), status::ok);
  }
}

TEST(HttpAdminListener, WithoutItEverythingIsOnThePublicPort) {
  running_service server{seed_tenants()};
  EXPECT_EQ(server.admin_port(), 0);
  http_client c{server.port()};
  EXPECT_EQ(admin_request(c, verb::get, "/tenants").result(), status::ok);
  EXPECT_EQ(c.get("/metrics").result(), status::ok);
}

} // namespace
