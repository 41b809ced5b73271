#pragma once

// An asynchronous HTTP/1.1 server on Boost.Beast, shaped after Beast's
// advanced_server example: a listener accepts each connection onto an
// executor of its own (one single-threaded io_context of a pool, which
// serialises the connection like a strand without a strand's locking); a
// session reads requests with a fresh size-limited parser, hands
// each to the handler, and writes the answers back in request order
// (keep-alive and pipelining), with a deadline on every read and write.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/any_io_executor.hpp>

#include "http/router.hpp"

namespace tenantd::http {

struct server_options {
  std::string host = "0.0.0.0";
  uint16_t port = 8001;
  /// Largest request body accepted; larger ones get 413.
  std::size_t body_limit = 64 * 1024;
  /// Largest request header section accepted; larger ones get 431.
  std::size_t header_limit = 16 * 1024;
  /// Limit on every read and write, including idle keep-alive time
  /// (checked once a second).
  std::chrono::seconds io_timeout{30};
  /// Requests read ahead of their answers on one connection.
  std::size_t pipeline_limit = 16;
};

using handler = std::function<void(request&&, responder)>;

/// Picks the executor for a new connection (called on the listener's
/// executor); every handler of that connection runs there, one at a time.
using executor_picker = std::function<boost::asio::any_io_executor()>;

class connection;

class server {
public:
  struct tracker;

  /// Binds and listens at once (so a taken port fails here, and port 0
  /// yields an ephemeral port); accepting starts with start().
  /// @param ioc Runs the listener and the deadline sweeper.
  /// @param pick Where each connection runs; it must serialise handlers
  ///        (a single-threaded io_context, or a strand).
  server(boost::asio::io_context& ioc, server_options options,
         handler on_request, executor_picker pick);

  ~server();

  /// The port actually bound.
  uint16_t port() const noexcept {
    return port_;
  }

  /// Starts accepting connections.
  void start();

  /// Stops accepting; idle connections close, busy ones close after their
  /// answers are written. `on_drained` runs (on an I/O thread) once the
  /// last connection is gone.
  void stop(std::function<void()> on_drained);

private:
  friend class connection;

  void do_accept();
  /// Closes connections whose read or write deadline has passed; re-arms
  /// itself every second until stop().
  void sweep();

  boost::asio::io_context& ioc_;
  server_options options_;
  handler handler_;
  executor_picker pick_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  uint16_t port_ = 0;
  /// Shared with every connection: one may outlive the server when its last
  /// owner is an actor's pending callback.
  std::shared_ptr<tracker> tracker_;
};

} // namespace tenantd::http
