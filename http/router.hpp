#pragma once

// The request handler: the route table and dispatch. For each request it
// finds the route (or answers 404, 405 or a FastAPI redirect), resolves
// who is asking (auth.hpp) and refuses what they may not use, and hands
// the request to the route's handler (http/api/), which answers through
// `reply` on the request's I/O thread. It holds no tenant state.

#include <memory>
#include <string_view>
#include <vector>

#include "http/handler.hpp"

namespace tenantd::http {

class bridge;

class router {
public:
  /// @param asks The lanes to the actors, one per I/O thread.
  /// @param active What the registry publishes of the active tenants.
  /// @param metrics Counts every answer; must outlive the router.
  /// @param table The routes (default: api::all_routes()).
  router(bridge& asks, std::shared_ptr<const active_tenants_view> active,
         router_options options, metrics::metrics& metrics);
  router(bridge& asks, std::shared_ptr<const active_tenants_view> active,
         router_options options, metrics::metrics& metrics,
         std::vector<route> table);

  /// Handles `req`, which arrived on I/O thread `lane` (and which calls
  /// this from there); calls `done` once with the response, on that
  /// thread.
  ~router();

  void operator()(request&& req, std::size_t lane,
                  const boost::asio::ip::address& from, responder done);

  /// Whether the server accepts requests (GET /readyz says 503 when not);
  /// false until set.
  void set_accepting(bool accepting) {
    ctx_.accepting.store(accepting, std::memory_order_relaxed);
  }

private:
  bridge& asks_;
  handler_context ctx_;
  /// One upstream client per lane (per I/O thread).
  std::vector<std::unique_ptr<upstream::client>> upstreams_;
  std::vector<route> table_;
};

} // namespace tenantd::http
