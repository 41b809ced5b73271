#pragma once

// An asynchronous HTTP/1.1 server on Boost.Beast, shaped after Beast's
// advanced_server example: a listener accepts each connection onto an
// executor of its own (one single-threaded io_context of a pool, which
// serialises the connection like a strand without a strand's locking); a
// session reads requests with a fresh size-limited parser, hands
// each to the handler, and writes the answers back in request order
// (keep-alive and pipelining), with a deadline on every read and write and
// a cap on open connections.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/any_io_executor.hpp>

#include "http/handler.hpp"

namespace tenantd::http {

struct server_options {
  std::string host = "0.0.0.0";
  uint16_t port = 8001;
  /// Largest request body accepted, counted as sent: with the chunked
  /// coding, chunk-size lines, chunk extensions and trailers count too (so
  /// none of them can be held without bound). Larger ones get 413.
  std::size_t body_limit = 64 * 1024;
  /// Largest request header section accepted (Beast counts the fields after
  /// the request line, and the request line on its own); larger ones get
  /// 431.
  std::size_t header_limit = 16 * 1024;
  // Timeouts close the connection without an answer; each is checked once
  // a second, so it fires up to a second late.
  /// Longest wait for the first byte of a request, on a new connection or
  /// a kept-alive one that owes no answer.
  std::chrono::seconds idle_timeout{30};
  /// Longest time from the first byte of a request to the end of its
  /// header section, however the bytes trickle in (slowloris).
  std::chrono::seconds header_timeout{10};
  /// Longest time from the end of the header section to the end of the
  /// body.
  std::chrono::seconds body_timeout{30};
  /// Longest time to write one answer (a client that does not read).
  std::chrono::seconds write_timeout{30};
  /// After an early answer (413, 431, 400...) to a client that may still be
  /// sending, the connection stops sending and reads and discards for at
  /// most this long and this many bytes before it closes, as nginx's
  /// lingering close does: closing with unread bytes would reset the
  /// connection, and the client might never see the answer.
  std::chrono::seconds linger_timeout{5};
  std::size_t linger_bytes = 8u << 20;
  /// Connections open at once; a connection accepted beyond this gets a
  /// 503 and is closed, without reading its request.
  std::size_t max_connections = 10000;
  /// Connections open at once from one client address (0 = no cap); past
  /// it, like past max_connections.
  std::size_t max_connections_per_address = 256;
  /// Requests read ahead of their answers on one connection.
  std::size_t pipeline_limit = 16;
  /// A connection stops reading requests while the answers it has not yet
  /// sent (answered, not yet handed to the kernel) exceed this many bytes:
  /// a client that does not read cannot make the service hold more.
  std::size_t max_unsent_bytes_per_connection = 1 << 20;
  /// The same over all connections: past it, every connection that has
  /// unsent answers stops reading until they are sent.
  std::size_t max_unsent_bytes = 256u << 20;
};

/// What the server has done with connections, for metrics. Updated on
/// accept, close and timeout only (relaxed atomics); readable from any
/// thread.
struct server_counters {
  /// Connections open now, refused ones included until they close.
  std::atomic<uint64_t> open_connections{0};
  /// Connections accepted since start, refused ones included.
  std::atomic<uint64_t> accepted_total{0};
  /// Connections answered 503 because max_connections were open.
  std::atomic<uint64_t> refused_total{0};
  /// Connections answered 503 because their address had
  /// max_connections_per_address open.
  std::atomic<uint64_t> refused_per_address_total{0};
  /// Connections closed by any timeout (idle, header, body or write).
  std::atomic<uint64_t> timed_out_total{0};
  /// Requests answered before routing: unparsable (400), body over the
  /// limit (413), header over the limit (431).
  std::atomic<uint64_t> bad_request_total{0};
  std::atomic<uint64_t> body_too_large_total{0};
  std::atomic<uint64_t> header_too_large_total{0};
  /// Requests whose handler threw: answered 500.
  std::atomic<uint64_t> handler_failures_total{0};
  /// Bytes of answers not yet sent, over all connections.
  std::atomic<uint64_t> unsent_bytes{0};
  /// Times a connection stopped reading because of unsent answers.
  std::atomic<uint64_t> reads_paused_total{0};
};

/// Handles a request that arrived on I/O thread `lane` from client address
/// `from`; called there, and the responder must be called there too.
using handler = std::function<void(request&&, std::size_t lane,
                                   const boost::asio::ip::address& from,
                                   responder)>;

/// Where a new connection runs: an executor that serialises its handlers
/// (a single-threaded io_context, or a strand), and the number of the I/O
/// thread it belongs to.
struct lane_pick {
  boost::asio::any_io_executor executor;
  std::size_t lane = 0;
};

/// Picks where a new connection runs (called on the listener's executor).
using executor_picker = std::function<lane_pick()>;

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

  /// Live counts; valid as long as the server is.
  const server_counters& counters() const noexcept;

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
