// The route table against the running service: unknown paths, FastAPI's
// trailing-slash redirects and 405s, HEAD, and request ids.

#include <future>
#include <memory>
#include <stdexcept>

#include <caf/all.hpp>

#include "http/bridge.hpp"
#include "http/respond.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/io_thread.hpp"
#include "util/log.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

using HttpRouting = http_test;

TEST_F(HttpRouting, UnknownPathsAre404NotFound) {
  for (auto [method, target] :
       {std::pair{verb::get, "/nope"}, std::pair{verb::post, "/nope"},
        std::pair{verb::get, "/session/extra"}, std::pair{verb::post, "/Chat"},
        std::pair{verb::get, "/docs"}, std::pair{verb::delete_, "/x?y=1"}}) {
    auto res = client.request(method, target, {}, std::nullopt);
    expect_detail(res, status::not_found, "Not Found");
  }
}

TEST_F(HttpRouting, ATrailingSlashIsRedirectedLikeFastApi) {
  // Starlette's redirect_slashes: 307 to the route's spelling, query kept,
  // whatever the method (the client then meets 405 if it is wrong).
  struct slash {
    verb method;
    const char* target;
    const char* location;
  };
  for (auto c : {slash{verb::post, "/chat/", "/chat"},
                 slash{verb::post, "/session/?x=1", "/session?x=1"},
                 slash{verb::get, "/openapi.json/", "/openapi.json"},
                 slash{verb::get, "/chat/", "/chat"}}) {
    auto res = client.request(c.method, c.target, {}, std::nullopt);
    EXPECT_EQ(res.result(), status::temporary_redirect) << c.target;
    // Built from the request's Host header, as Starlette does.
    EXPECT_EQ(header(res, "Location"), std::string{"http://127.0.0.1"} + c.location)
      << c.target;
    EXPECT_EQ(res.body(), "") << c.target;
  }
  // Every trailing slash goes, as Starlette's rstrip("/") has it; a path
  // that is nothing but slashes, or no route's, stays 404.
  for (auto [target, location] :
       {std::pair{"/session//", "http://127.0.0.1/session"},
        std::pair{"/chat///?x=1", "http://127.0.0.1/chat?x=1"}}) {
    auto res = client.request(verb::post, target, {}, std::nullopt);
    EXPECT_EQ(res.result(), status::temporary_redirect) << target;
    EXPECT_EQ(header(res, "Location"), location) << target;
  }
  for (auto target : {"//", "///", "/x/", "/x//"})
    expect_detail(client.request(verb::post, target, {}, std::nullopt),
                  status::not_found, "Not Found");
}

TEST_F(HttpRouting, PercentEncodedPathsAreDecodedBeforeRouting) {
  // As uvicorn gives Starlette the decoded path.
  auto res = client.post("/%73ession", session_json("acme"));
  EXPECT_EQ(res.result(), status::ok) << res.body();
  auto sid = std::string{json::parse(res.body()).at("session_id").as_string()};
  EXPECT_EQ(client.post("/%63hat", chat_json("acme", sid, "hi")).result(),
            status::ok);
  EXPECT_EQ(client.post("/%63%68%61%74", chat_json("acme", sid, "hi")).result(),
            status::ok);
  // An invalid escape stays as it is; an encoded slash is a slash.
  expect_detail(client.request(verb::post, "/%zzchat", {}, std::nullopt),
                status::not_found, "Not Found");
  expect_detail(client.request(verb::get, "/tenants/acme%2Fx", {}, std::nullopt,
                               admin_auth),
                status::not_found, "Not Found");
  // The decoded path is the one redirected.
  auto redirect = client.request(verb::post, "/%63hat/", {}, std::nullopt);
  EXPECT_EQ(redirect.result(), status::temporary_redirect);
  EXPECT_EQ(header(redirect, "Location"), "http://127.0.0.1/chat");
}

TEST_F(HttpRouting, WrongMethodsAre405WithAnAllowHeader) {
  struct wrong {
    verb method;
    const char* target;
    const char* allow;
  };
  for (auto w :
       {wrong{verb::get, "/chat", "POST"}, wrong{verb::put, "/chat", "POST"},
        wrong{verb::delete_, "/session", "POST"},
        wrong{verb::get, "/session?x=1", "POST"}, wrong{verb::post, "/", "GET"},
        wrong{verb::patch, "/", "GET"},
        wrong{verb::post, "/openapi.json", "GET"}}) {
    auto res = client.request(w.method, w.target, {}, std::nullopt);
    expect_detail(res, status::method_not_allowed, "Method Not Allowed");
    EXPECT_EQ(header(res, "Allow"), w.allow) << w.target;
  }
}

// A response to HEAD carries no body (RFC 9110 9.3.2); one would be misread
// as the start of the next response on the connection.
TEST_F(HttpRouting, AHeadAnswerHasNoBody) {
  auto head = client.request(verb::head, "/", {}, std::nullopt);
  EXPECT_EQ(head.result(), status::method_not_allowed);
  EXPECT_EQ(header(head, "Allow"), "GET");
  auto next = client.get("/");
  EXPECT_EQ(next.result(), status::ok);
  EXPECT_EQ(next.body(),
            R"({"ok":true,"tenants":["acme","globex","initech"]})");
}

TEST(HttpRequestId, IsEchoedWhenSaneAndGeneratedOtherwise) {
  running_service server{seed_tenants()};
  http_client client{server.port()};
  auto with_id = [&](std::string id) {
    return client.send(make_request(verb::post, "/session",
                                    session_json("acme"), "application/json",
                                    {{"X-Request-Id", std::move(id)}}));
  };
  EXPECT_EQ(header(with_id("trace-42.a:b@c/d+e=f_g"), "X-Request-Id"),
            "trace-42.a:b@c/d+e=f_g");
  static const std::regex generated{"[0-9a-f]{32}"};
  std::set<std::string> seen;
  for (auto bad : {std::string(129, 'a'), std::string{"has space"},
                   std::string{"semi;colon"}, std::string{"\xc3\xa9t\xc3\xa9"}}) {
    auto id = header(with_id(bad), "X-Request-Id");
    EXPECT_TRUE(std::regex_match(id, generated)) << id;
    seen.insert(id);
  }
  for (int i = 0; i < 4; ++i) {
    auto res = client.get("/nope"); // errors carry one too
    auto id = header(res, "X-Request-Id");
    EXPECT_TRUE(std::regex_match(id, generated)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 8u); // fresh every time
}

TEST(HttpRequestId, NamesEveryLogLineAboutTheRequest) {
  auto cfg = test_config();
  cfg.log_requests = "all";
  running_service server{seed_tenants(), cfg};
  http_client client{server.port()};
  testing::internal::CaptureStderr();
  client.send(make_request(verb::post, "/session", session_json("acme"),
                           "application/json", {{"X-Request-Id", "req-one"}}));
  client.send(make_request(verb::post, "/session", session_json("nope"),
                           "application/json", {{"X-Request-Id", "req-two"}}));
  client.send(make_request(verb::get, "/tenants", {}, std::nullopt,
                           {{"X-Request-Id", "req-three"},
                            {"Authorization", "Bearer wrong-token-wrong-token"}}));
  log::flush(); // lines are written by the logger's own thread
  auto log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("request_id=req-one method=POST route=/session "
                     "tenant=acme principal=anonymous status=200"),
            std::string::npos)
    << log;
  EXPECT_NE(log.find("request_id=req-two method=POST route=/session "
                     "tenant=_unknown principal=anonymous status=404"),
            std::string::npos)
    << log;
  EXPECT_NE(log.find("request_id=req-three method=GET route=/tenants "
                     "principal=anonymous status=401"),
            std::string::npos)
    << log;
  EXPECT_EQ(log.find("wrong-token"), std::string::npos); // never a secret
}

// -- route styles ---------------------------------------------------------------

namespace rest {

// A REST resource of the test's own: GET answers a body, DELETE nothing.
void get_thing(const http::call& c, http::reply done) {
  done(http::make_response(c.facts, status::ok, R"({"thing":true})"));
}

void delete_thing(const http::call& c, http::reply done) {
  done(http::make_response(c.facts, status::no_content, ""));
}

void throw_thing(const http::call&, http::reply) {
  throw std::runtime_error("injected by the test");
}

void forget_thing(const http::call&, http::reply) {
}

void answer_thing_twice(const http::call& c, http::reply done) {
  done(http::make_response(c.facts, status::ok, R"({"first":true})"));
  done(http::make_response(c.facts, status::ok, R"({"second":true})"));
}

// The router over `table`, answering on an I/O thread of the test's own.
class table_router {
public:
  explicit table_router(std::vector<http::route> table)
    : sys_(init(cfg_)),
      asks_(sys_, registry_actor{}, 1s, {&io_.context()}),
      router_(asks_, std::make_shared<active_tenants_view>(),
              http::router_options{}, metrics_, std::move(table)) {
  }

  ~table_router() {
    io_.stop();
  }

  /// The answer to `method target` (with `id` as its X-Request-Id if
  /// given); fails the test if the router answers more than once.
  http::response answer(verb method, std::string target, std::string id = {}) {
    http::request req{method, target, 11};
    req.set(bhttp::field::host, "example.test");
    if (!id.empty())
      req.set("X-Request-Id", id);
    auto done = std::make_shared<std::promise<http::response>>();
    auto answers = std::make_shared<int>(0);
    io_.post([&, done, answers] {
      router_(std::move(req), 0, boost::asio::ip::address_v4::loopback(),
              [done, answers](http::response res,
                              std::shared_ptr<http::body_stream>) {
        if (++*answers == 1)
          done->set_value(std::move(res));
        else
          ADD_FAILURE() << "answered " << *answers << " times";
      });
    });
    auto res = done->get_future().get();
    // A second answer would come on the I/O thread right after the first.
    std::promise<void> flushed;
    io_.post([&] { flushed.set_value(); });
    flushed.get_future().wait();
    return res;
  }

private:
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    register_actor_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    return cfg;
  }

  metrics::metrics metrics_;
  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  io_thread io_;
  http::bridge asks_;
  http::router router_;
};

} // namespace rest

TEST(HttpRouteStyles, ARestResourceAnswersHeadAsGetWithoutTheBody) {
  rest::table_router r{{
    {"/things/{id}", verb::get, http::access::anyone, http::route_style::rest,
     rest::get_thing},
    {"/things/{id}", verb::delete_, http::access::anyone,
     http::route_style::rest, rest::delete_thing},
  }};
  auto get = r.answer(verb::get, "/things/1");
  EXPECT_EQ(get.result(), status::ok);
  EXPECT_EQ(get.body(), R"({"thing":true})");
  auto head = r.answer(verb::head, "/things/1");
  EXPECT_EQ(head.result(), status::ok);
  EXPECT_EQ(head.body(), "");
  EXPECT_EQ(head[bhttp::field::content_length], "14");
  auto post = r.answer(verb::post, "/things/1");
  EXPECT_EQ(post.result(), status::method_not_allowed);
  EXPECT_EQ(post[bhttp::field::allow], "GET, HEAD, DELETE");
}

TEST(HttpRouteStyles, ARestResourceDoesNotRedirectATrailingSlash) {
  rest::table_router r{{
    {"/things/{id}", verb::get, http::access::anyone, http::route_style::rest,
     rest::get_thing},
    {"/seedish", verb::get, http::access::anyone, http::route_style::fastapi,
     rest::get_thing},
  }};
  auto res = r.answer(verb::get, "/things/1/");
  EXPECT_EQ(res.result(), status::not_found);
  EXPECT_EQ(res.body(), R"({"detail":"Not Found"})");
  // A FastAPI-style route in the same table keeps its contract.
  auto seed = r.answer(verb::get, "/seedish/");
  EXPECT_EQ(seed.result(), status::temporary_redirect);
  EXPECT_EQ(seed[bhttp::field::location], "http://example.test/seedish");
  EXPECT_EQ(r.answer(verb::head, "/seedish").result(),
            status::method_not_allowed);
}

TEST(HttpHandlerFailures, AHandlerThatThrowsIsAnswered500WithItsRequestId) {
  rest::table_router r{{
    {"/things/{id}", verb::get, http::access::anyone, http::route_style::rest,
     rest::throw_thing},
    {"/ok", verb::get, http::access::anyone, http::route_style::rest,
     rest::get_thing},
  }};
  auto res = r.answer(verb::get, "/things/1", "req-thrown");
  EXPECT_EQ(res.result(), status::internal_server_error);
  EXPECT_EQ(res.body(), R"({"detail":"Internal Server Error"})");
  EXPECT_EQ(res["X-Request-Id"], "req-thrown");
  // The I/O thread goes on.
  EXPECT_EQ(r.answer(verb::get, "/ok").result(), status::ok);
}

TEST(HttpHandlerFailures, AReplyDroppedUnansweredAnswers500) {
  rest::table_router r{{
    {"/things/{id}", verb::get, http::access::anyone, http::route_style::rest,
     rest::forget_thing},
  }};
  auto res = r.answer(verb::get, "/things/1", "req-forgotten");
  EXPECT_EQ(res.result(), status::internal_server_error);
  EXPECT_EQ(res["X-Request-Id"], "req-forgotten");
  // A HEAD is answered without a body, as any other.
  auto head = r.answer(verb::head, "/things/1");
  EXPECT_EQ(head.result(), status::internal_server_error);
  EXPECT_EQ(head.body(), "");
}

TEST(HttpHandlerFailures, OnlyTheFirstAnswerOfAReplyCounts) {
  rest::table_router r{{
    {"/things/{id}", verb::get, http::access::anyone, http::route_style::rest,
     rest::answer_thing_twice},
  }};
  auto res = r.answer(verb::get, "/things/1");
  EXPECT_EQ(res.body(), R"({"first":true})");
}

} // namespace
