// Fuzz target: the HTTP request path — parse, route, validate, ask the
// actors, answer.
//
// Input: a raw HTTP/1.1 request stream, as a client would send it on one
// connection (pipelined requests allowed). Each request is parsed with
// Beast's request_parser under the server's body and header limits and
// handed to the real router on an I/O thread of its own, which asks a
// real registry, tenant actors and store through its lane. A request the parser refuses gets the server's error
// answer (413, 431 or 400) and ends the stream, as it ends the connection.
//
// Invariants, per request:
// - the router answers exactly once, within a bounded wait;
// - never 500;
// - Content-Length is the body's length (HEAD: present, and no body);
// - an application/json body is valid JSON (and so valid UTF-8);
// - the answer serialises to HTTP that parses back to the same status and
//   body (no header value can break the framing).
//
// State: every input gets a fresh database, actor system, store, registry,
// I/O thread and bridge (see `test_service` below), started as the service
// starts them (start_actors). The tenants are the repo's
// tenants.jsonl, each with one fixed session (fixed_sessions) so that /chat
// is reachable without guessing a UUID; the admin token is fixed
// (admin_token) so that the admin API is too.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <caf/all.hpp>

#include "core/clock.hpp"
#include "storage/sqlite_storage.hpp"
#include "actors/system.hpp"
#include "fuzz/check.hpp"
#include "http/bridge.hpp"
#include "http/respond.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "http/net/server.hpp"
#include "tests/support/io_thread.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace tenantd;
using namespace std::chrono_literals;
namespace beast = boost::beast;
namespace beast_http = beast::http;

/// The bearer token of the admin API in this target (also in the seeds and
/// the dictionary).
constexpr const char* admin_token = "fuzz-admin-token-0123456789";

/// One session per bootstrap tenant, stored before the registry starts.
constexpr std::pair<const char*, const char*> fixed_sessions[] = {
  {"acme", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"},
  {"globex", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"},
  {"initech", "cccccccc-cccc-4ccc-8ccc-cccccccccccc"},
};

/// An ask that takes longer becomes 504 (allowed); an answer that takes
/// longer than `answer_wait` is a failure. Both stay below libFuzzer's
/// -timeout=10.
constexpr auto ask_timeout = 2000ms;
constexpr auto answer_wait = 5s;

/// Requests handled per input: enough for sequences (create, patch, chat),
/// few enough to keep an input fast.
constexpr int max_requests = 16;

/// The server's limits, from the same defaults the service starts with.
const http::server_options limits{};

/// The router's options as the service's defaults, with the fixed token.
http::router_options router_options() {
  http::router_options options;
  options.admin_token = admin_token;
  return options;
}

std::vector<tenant_config> bootstrap_configs() {
  static const auto configs = load_tenants_file(TENANTD_FUZZ_TENANTS_FILE);
  return configs;
}

/// What one input talks to: a database, an actor system with the store and
/// the registry, the bridge and the router, as app/service.cpp wires them
/// (without the server). Stopped and deleted again by the destructor.
///
/// Fresh for every input, so that an input behaves the same alone as in
/// the middle of a run: a crash input replays as a regression test, and no
/// input can spoil the rest of a run (say, by archiving every tenant). The
/// actor system is per input too: CAF 0.17 cannot destroy one during exit()
/// (its logger's thread_local is gone by then; zeek/zeek#1349), and one left
/// running crashes the exit.
class test_service {
public:
  test_service()
    : system_(configure(config_)),
      actors_(start_actors(system_, actor_layer_options(dir_.path(), metrics_))),
      asks_(system_, actors_.registry(), ask_timeout, {&io_.context()}),
      routes_(asks_, actors_.active(), router_options(), metrics_) {
    routes_.set_accepting(true);
  }

  /// The members go in reverse order: the bridge stops, then the actors
  /// are told to stop and the actor system waits for every actor (the store
  /// commits and lets go of the database), then the directory goes.
  ~test_service() {
    io_.stop();
    asks_.stop();
    actors_.stop();
  }

  test_service(const test_service&) = delete;
  test_service& operator=(const test_service&) = delete;

  http::router& routes() {
    return routes_;
  }

  /// The I/O thread the router runs on (as a connection's).
  tenantd::test::io_thread& io() {
    return io_;
  }

private:
  /// The bootstrap tenants, each with its fixed session, stored before the
  /// actors start (as a previous run of the service would have left them).
  static actor_options actor_layer_options(const std::string& dir,
                                           metrics::metrics& metrics) {
    auto now = unix_millis();
    {
      auto db = sqlite_storage::open(dir);
      bootstrap_tenants(db, bootstrap_configs(), now);
      for (auto& [tenant, id] : fixed_sessions) {
        stored_session s;
        s.id = *session_id::parse(id);
        s.created_at = s.last_used = now;
        s.expires_at = now + int64_t{86400} * 1000;
        if (!db.insert_session(tenant, s))
          std::abort();
      }
    }
    actor_options options;
    options.data_dir = dir;
    options.metrics = &metrics;
    // Password jobs inline at libsodium's cheapest cost: an input that
    // creates a user costs microseconds, not a 19 MiB hash.
    options.services.password_cost = {1, 8 * 1024};
    return options;
  }

  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    configure_actor_system(cfg, 2);
    return cfg;
  }

  /// On tmpfs: every session and admin change is fsync'd.
  tenantd::test::temp_dir dir_{tenantd::test::temp_place::memory};
  /// Before the actor system: the actors count into it until they stop.
  metrics::metrics metrics_;
  caf::actor_system_config config_;
  caf::actor_system system_;
  actor_layer actors_;
  tenantd::test::io_thread io_;
  http::bridge asks_;
  http::router routes_;
};

/// With FUZZ_TRACE set, each request line and answer goes to stderr: for
/// reading what a seed or a crash input does.
void trace(const http::request& req) {
  static const bool on = std::getenv("FUZZ_TRACE") != nullptr;
  if (on)
    std::fprintf(stderr, "> %s %s\n", std::string{req.method_string()}.c_str(),
                 std::string{req.target()}.c_str());
}

void trace(const http::response& res) {
  static const bool on = std::getenv("FUZZ_TRACE") != nullptr;
  if (on)
    std::fprintf(stderr, "< %u %s\n", res.result_int(),
                 res.body().substr(0, 300).c_str());
}

/// What the checks need to know of the request once it is gone.
struct request_facts {
  unsigned version;
  bool head;
};

std::string describe(const http::response& res) {
  std::ostringstream out;
  out << res.base() << res.body().substr(0, 2000);
  return out.str();
}

void check_response(const http::response& res, const request_facts& req) {
  auto text = describe(res);
  FUZZ_CHECK(res.result() != beast_http::status::internal_server_error, text);
  FUZZ_CHECK(res.version() == req.version, text);
  auto length = res[beast_http::field::content_length];
  FUZZ_CHECK(!length.empty(), text);
  if (req.head)
    FUZZ_CHECK(res.body().empty(), text);
  else
    FUZZ_CHECK(length == std::to_string(res.body().size()), text);
  auto type = res[beast_http::field::content_type];
  if (!req.head && type.substr(0, 16) == "application/json")
    FUZZ_CHECK(tenantd::fuzz::parse_json(res.body()).has_value(), text);

  // On the wire and back, as a client would read it.
  std::ostringstream wire;
  wire << res;
  auto bytes = wire.str();
  beast_http::response_parser<beast_http::string_body> parser;
  parser.eager(true);
  parser.skip(req.head); // a HEAD answer has no body, whatever its length
  beast::error_code ec;
  auto used = parser.put(boost::asio::buffer(bytes), ec);
  FUZZ_CHECK(!ec && parser.is_done() && used == bytes.size(), text);
  FUZZ_CHECK(parser.get().result() == res.result(), text);
  FUZZ_CHECK(parser.get().body() == res.body(), text);
}

/// Routes `req` and waits for its answer; checks it comes exactly once.
http::response ask_router(test_service& svc, http::request&& req) {
  struct slot {
    std::mutex mtx;
    std::condition_variable cv;
    int calls = 0;
    std::optional<http::response> res;
  };
  auto answer = std::make_shared<slot>();
  svc.io().post([&svc, answer, req = std::move(req)]() mutable {
    svc.routes()(std::move(req), 0, boost::asio::ip::address_v4::loopback(),
                 [answer](http::response res,
                          std::shared_ptr<http::body_stream>) {
      std::lock_guard<std::mutex> guard{answer->mtx};
      FUZZ_CHECK(++answer->calls == 1, "a second answer to one request");
      answer->res = std::move(res);
      answer->cv.notify_one();
    });
  });
  std::unique_lock<std::mutex> lock{answer->mtx};
  bool answered = answer->cv.wait_for(lock, answer_wait,
                                      [&] { return answer->res.has_value(); });
  FUZZ_CHECK(answered, "no answer within the wait");
  return std::move(*answer->res);
}

/// The server's answer to a request its parser refused (as
/// connection::on_read in http/net/server.cpp).
http::response refusal(beast::error_code ec) {
  auto facts = http::request_facts{11, false, false};
  if (ec == beast_http::error::body_limit)
    return http::detail_response(facts, beast_http::status::payload_too_large,
                                 "Request body too large");
  if (ec == beast_http::error::header_limit)
    return http::detail_response(
      facts, beast_http::status::request_header_fields_too_large,
      "Request header fields too large");
  return http::detail_response(facts, beast_http::status::bad_request,
                               "Bad request");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  test_service svc;
  std::string_view rest{reinterpret_cast<const char*>(data), size};
  for (int n = 0; n < max_requests && !rest.empty(); ++n) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(static_cast<uint32_t>(limits.header_limit));
    parser.eager(true);
    beast::error_code ec;
    while (!parser.is_done()) {
      auto used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec != beast_http::error::need_more)
        break;
      ec = {};
      if (used == 0 || rest.empty()) {
        // The stream ends here: what the server's read sees at EOF.
        parser.put_eof(ec);
        if (!parser.got_some())
          return 0; // between requests: a clean close
        break;
      }
    }
    if (ec || !parser.is_done()) {
      auto res = refusal(ec);
      trace(res);
      check_response(res, {11, false});
      return 0;
    }
    auto req = parser.release();
    trace(req);
    request_facts facts{req.version(), req.method() == beast_http::verb::head};
    auto res = ask_router(svc, std::move(req));
    trace(res);
    check_response(res, facts);
    if (!res.keep_alive())
      return 0; // the server closes the connection after this answer
  }
  return 0;
}
