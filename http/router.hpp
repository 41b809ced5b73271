#pragma once

// The request handler: a function from an HTTP request to an HTTP response,
// delivered later through a callback because answers come from actors. It
// holds no tenant state; it validates, asks the registry through the
// bridge, and maps the domain's answers and errors to status codes. The
// admin API (/tenants...) answers only requests that carry the admin token
// as "Authorization: Bearer <token>".

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace tenantd::http {

class bridge;

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

/// Receives the response; may be called on any thread, exactly once.
using responder = std::function<void(response)>;

class router {
public:
  /// @param admin_token The bearer token every admin request must carry.
  router(bridge& asks, std::string admin_token)
    : asks_(asks), admin_token_(std::move(admin_token)) {
  }

  /// Handles `req`; calls `done` once with the response.
  void operator()(request&& req, responder done) const;

  /// A JSON response {"detail": text} with `status`, for errors the server
  /// answers before any routing (oversize bodies, bad requests).
  static response error_response(boost::beast::http::status status,
                                 std::string_view text, unsigned version);

private:
  bridge& asks_;
  std::string admin_token_;
};

} // namespace tenantd::http
