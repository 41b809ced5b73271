#pragma once

// The request handler: a function from an HTTP request to an HTTP response,
// delivered later through a callback because answers come from actors. It
// holds no tenant state; it validates, asks the registry through the
// bridge, and maps the domain's answers and errors to status codes. The
// admin API (/tenants...) answers only requests that carry the admin token
// as "Authorization: Bearer <token>".
//
// Every answer carries the request's X-Request-Id and is counted in the
// metrics (by tenant, route template, method and status); GET /metrics,
// /healthz and /readyz are served here too.

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/in_flight_gate.hpp"
#include "http/json/codec.hpp"

namespace tenantd::metrics {
class metrics;
} // namespace tenantd::metrics

namespace tenantd::http {

class bridge;

/// Which answered requests get a log line.
enum class request_logging { none, errors, all };

struct router_options {
  /// The bearer token every admin request must carry.
  std::string admin_token;
  body_limits limits;
  /// Asks one tenant may have in flight (/session and /chat); past it, its
  /// requests get 503 at once.
  std::size_t tenant_max_in_flight = 256;
  /// errors: answers with status 500 and above.
  request_logging logging = request_logging::errors;
};

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

/// Receives the response; may be called on any thread, exactly once.
using responder = std::function<void(response)>;

class router {
public:
  /// @param metrics Counts every answer; must outlive the router.
  router(bridge& asks, router_options options, metrics::metrics& metrics);

  /// Handles `req`; calls `done` once with the response.
  void operator()(request&& req, responder done);

  /// Whether the server accepts requests (GET /readyz says 503 when not);
  /// false until set.
  void set_accepting(bool accepting) {
    ctx_.accepting.store(accepting, std::memory_order_relaxed);
  }

  /// A JSON response {"detail": text} with `status`, for errors the server
  /// answers before any routing (oversize bodies, bad requests).
  static response error_response(boost::beast::http::status status,
                                 std::string_view text, unsigned version);

  /// What every request handler may use.
  struct context {
    bridge& asks;
    router_options options;
    metrics::metrics& metrics;
    in_flight_gate gate;
    std::atomic<bool> accepting{false};
  };

private:
  context ctx_;
};

} // namespace tenantd::http
