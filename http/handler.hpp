#pragma once

// What every request handler (http/api/*.cpp) works with: the request, the
// facts its answer needs, the principal asking, the lane to the actors,
// and `reply`, which stamps, counts, logs and sends the answer. Handlers
// are pure translations: decode, ask an actor through the lane, map the
// answer (respond.hpp); they never see a socket.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "actors/interfaces.hpp"
#include "core/principal.hpp"
#include "http/client_limiter.hpp"
#include "http/in_flight_gate.hpp"
#include "http/login_guard.hpp"
#include "http/json/codec.hpp"
#include "http/net/body_stream.hpp"

namespace tenantd::metrics {
class metrics;
} // namespace tenantd::metrics

namespace tenantd {
class fair_pool;
} // namespace tenantd

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace tenantd::http::upstream {
class client;
} // namespace tenantd::http::upstream

namespace tenantd::http {

class lane;
class token_authority;

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

/// Receives the response; called exactly once, on the connection's I/O
/// thread. With a body stream, the response is the head only (its body
/// empty) and the body follows as the stream is written (body_stream.hpp).
using responder
  = std::function<void(response, std::shared_ptr<body_stream>)>;

/// Which answered requests get a log line.
enum class request_logging { none, errors, all };

struct router_options {
  /// The bearer token of the platform admin.
  std::string admin_token;
  /// The secret API keys are stored under (HMAC-SHA-256): a presented key
  /// is looked up by its digest.
  std::string key_secret;
  /// Issues and verifies access tokens (tokens.hpp); null: none accepted.
  std::shared_ptr<token_authority> tokens;
  /// Failed logins from one address before each next waits; the longest
  /// wait.
  uint32_t login_free_failures = 5;
  std::chrono::seconds login_max_delay{900};
  /// Runs blocking work off the I/O threads (a signing key rotation).
  std::shared_ptr<fair_pool> background;
  body_limits limits;
  /// Asks one tenant may have in flight (/session and /chat); past it, its
  /// requests get 503 at once.
  std::size_t tenant_max_in_flight = 256;
  /// POST /session and /chat per 10 s from one client address (429
  /// beyond); 0 = no limit.
  std::size_t client_rate_limit = 0;
  /// errors: answers with status 500 and above.
  request_logging logging = request_logging::errors;
  /// How the AI upstreams' certificates are verified (upstream/client.hpp);
  /// null: the system's trust store.
  std::shared_ptr<boost::asio::ssl::context> upstream_tls;
};

/// What a response needs from its request once the request is gone.
struct request_facts {
  unsigned version = 11;
  bool keep_alive = true;
  /// A HEAD request's answer has headers only.
  bool head = false;
};

/// What every handler may use besides its request.
struct handler_context {
  router_options options;
  metrics::metrics& metrics;
  /// The registry's published list of active tenants (GET /).
  std::shared_ptr<const active_tenants_view> active;
  in_flight_gate gate;
  client_limiter clients;
  login_guard logins;
  std::atomic<bool> accepting{false};
};

/// Answers one request: stamps its request id, counts it in the metrics
/// (by tenant, route template, method and status), logs it if asked to,
/// and hands it to the server. Handlers name the tenant a request is about
/// once they know it (about_tenant).
///
/// Exactly once: copies share one answer, and once the last copy is gone
/// unanswered (a handler or a continuation threw, or forgot) the request
/// is answered 500 in its place, so a connection never waits for ever and
/// pipelined answers keep their order.
class reply {
public:
  reply(const handler_context& ctx, const request_facts& facts,
        responder done, std::string id, std::string_view route,
        std::string_view method);

  void about_tenant(std::string tenant);

  /// Names who asked in the request's log line (kind and id only).
  void about_principal(const principal& who);

  void operator()(response res) const;

  /// Answers with `head` (status and fields; its body is ignored) and a
  /// body written as it comes: the handler writes into the stream it gets
  /// and ends it. Counted and logged with the head's status.
  std::shared_ptr<body_stream> stream(response head) const;

private:
  struct state;
  std::shared_ptr<state> state_;
};

/// A routed request as its handler sees it.
struct call {
  handler_context& ctx;
  /// The actors, from this request's I/O thread.
  lane& asks;
  /// The AI upstreams, from this request's I/O thread.
  upstream::client& upstream;
  request_facts facts;
  const request& req;
  /// The client's address (the connection's peer).
  const boost::asio::ip::address& from;
  /// Who is asking (http/auth.hpp), resolved once before the handler runs.
  principal who;
  /// The path's {id} and {sub} segments; empty for routes without them.
  std::string_view id;
  std::string_view sub;
  /// The query string, without its '?'.
  std::string_view query;
};

/// Who may use a route.
enum class access {
  /// Anyone, with or without credentials.
  anyone,
  /// The platform admin only: 401 before anything else for anyone else
  /// (403 for a tenant's credential).
  platform_admin,
  /// Any valid credential: the platform admin's or a tenant's (whose
  /// tenant actor then says what it may do); 401 before anything else
  /// without one.
  credential,
};

/// How a route treats what is not exactly it.
enum class route_style {
  /// The seed's FastAPI contract: HEAD answered 405, a path that differs
  /// by a trailing slash redirected with 307.
  fastapi,
  /// Ordinary REST: HEAD answered as GET without the body, a trailing
  /// slash is another (unknown) path.
  rest,
  /// OpenAI's API (/v1): REST, and every refusal in OpenAI's error shape
  /// ({"error":{"message","type","param","code"}}).
  openai,
};

struct route {
  /// The path; a segment "{id}" or "{sub}" stands for any one non-empty
  /// segment.
  std::string_view path;
  boost::beast::http::verb method;
  access who;
  route_style style;
  void (*handle)(const call&, reply);
};

} // namespace tenantd::http
