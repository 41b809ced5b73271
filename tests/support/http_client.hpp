#pragma once

// A small synchronous HTTP/1.1 client for the HTTP-level tests, on
// Boost.Beast. One client is one TCP connection, kept alive across requests
// until the server closes it. Every operation runs against a deadline (Beast
// applies tcp_stream timeouts to asynchronous operations only, so each call
// starts one and runs the client's own io_context until it completes): a
// broken server fails a test, it never hangs it.
//
// Besides request()/get()/post(), raw bytes can be sent and answers read one
// by one, for pipelining and malformed input.

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tenantd::test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using http_request = bhttp::request<bhttp::string_body>;
using http_response = bhttp::response<bhttp::string_body>;
using http_headers = std::vector<std::pair<std::string, std::string>>;

/// Builds a request. `content_type` nullopt sends no Content-Type header;
/// Content-Length is always set (also for an empty body).
inline http_request
make_request(bhttp::verb method, std::string_view target, std::string body = {},
             std::optional<std::string> content_type = "application/json",
             const http_headers& extra = {}) {
  http_request req{method, std::string{target}, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::user_agent, "tenantd-http-tests");
  if (content_type)
    req.set(bhttp::field::content_type, *content_type);
  for (auto& [name, value] : extra)
    req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  if (method == bhttp::verb::get && req.body().empty())
    req.erase(bhttp::field::content_length);
  return req;
}

/// The bytes of `req` as they go on the wire.
inline std::string wire_bytes(const http_request& req) {
  std::ostringstream out;
  out << req;
  return out.str();
}

class http_client {
public:
  using clock = std::chrono::steady_clock;

  /// Connects to 127.0.0.1:`port` (from `from`, another loopback address
  /// such as 127.0.0.2, if given); throws if that fails.
  explicit http_client(uint16_t port, std::chrono::milliseconds timeout
                                      = std::chrono::seconds{10},
                       const std::string& from = {})
      : stream_(ioc_), timeout_(timeout) {
    beast::error_code ec;
    if (!from.empty()) {
      auto& socket = stream_.socket();
      socket.open(boost::asio::ip::tcp::v4());
      socket.bind({boost::asio::ip::make_address(from), 0});
    }
    stream_.expires_after(timeout_);
    stream_.async_connect(endpoint(port), [&](beast::error_code e) { ec = e; });
    run();
    if (ec)
      throw beast::system_error{ec, "connect"};
  }

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends one request and reads its answer.
  http_response send(const http_request& req) {
    write(wire_bytes(req));
    return read_response(req.method() == bhttp::verb::head);
  }

  http_response
  request(bhttp::verb method, std::string_view target, std::string body = {},
          std::optional<std::string> content_type = "application/json",
          const http_headers& extra = {}) {
    return send(make_request(method, target, std::move(body),
                             std::move(content_type), extra));
  }

  http_response get(std::string_view target) {
    return request(bhttp::verb::get, target, {}, std::nullopt);
  }

  /// POSTs `body` as application/json.
  http_response post(std::string_view target, std::string body) {
    return request(bhttp::verb::post, target, std::move(body));
  }

  /// Writes `bytes` as they are (several requests, or malformed ones).
  void write(std::string_view bytes) {
    if (auto ec = try_write(bytes))
      throw beast::system_error{ec, "write"};
  }

  /// Writes `bytes`, returning the error instead of throwing (a server may
  /// answer and close before it has read everything, e.g. with 413).
  beast::error_code try_write(std::string_view bytes) {
    beast::error_code ec;
    stream_.expires_after(timeout_);
    boost::asio::async_write(stream_, boost::asio::buffer(bytes),
                             [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    return ec;
  }

  /// Reads the next answer. `head`: the answer is to a HEAD request, so it
  /// has no body whatever its Content-Length says.
  http_response read_response(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head);
    beast::error_code ec;
    stream_.expires_after(timeout_);
    bhttp::async_read(stream_, buffer_, parser,
                      [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec)
      throw beast::system_error{ec, "read"};
    return parser.release();
  }

  /// Reads an interim or final response header only (e.g. 100 Continue).
  bhttp::response<bhttp::empty_body> read_header_only() {
    bhttp::response_parser<bhttp::empty_body> parser;
    beast::error_code ec;
    stream_.expires_after(timeout_);
    bhttp::async_read_header(stream_, buffer_, parser,
                             [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec)
      throw beast::system_error{ec, "read header"};
    return parser.release();
  }

  /// Waits up to `wait` for the server to close the connection. True when
  /// it did (end of stream or reset); false when bytes arrived instead or
  /// the wait passed.
  bool closed_by_server(std::chrono::milliseconds wait = std::chrono::seconds{
                          5}) {
    if (buffer_.size() > 0)
      return false;
    char byte;
    beast::error_code ec;
    std::size_t n = 0;
    stream_.expires_after(wait);
    stream_.async_read_some(boost::asio::buffer(&byte, 1),
                            [&](beast::error_code e, std::size_t k) {
                              ec = e;
                              n = k;
                            });
    run();
    if (n > 0)
      buffer_.commit(boost::asio::buffer_copy(buffer_.prepare(1),
                                              boost::asio::buffer(&byte, 1)));
    return ec == boost::asio::error::eof
           || ec == boost::asio::error::connection_reset;
  }

  /// Bytes received but not yet consumed by a read.
  std::size_t buffered() const {
    return buffer_.size();
  }

  /// The local port of this connection (to find it in /proc/net/tcp).
  uint16_t local_port() {
    return stream_.socket().local_endpoint().port();
  }

private:
  static boost::asio::ip::tcp::endpoint endpoint(uint16_t port) {
    return {boost::asio::ip::make_address("127.0.0.1"), port};
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  boost::asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

/// True if a TCP connection to 127.0.0.1:`port` is accepted (at TCP level).
inline bool can_connect(uint16_t port) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket{ioc};
  beast::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

/// The send and receive queues of a TCP socket, as /proc/net/tcp shows them.
struct tcp_queues {
  /// Bytes sent but not yet acknowledged by the peer.
  unsigned long unacked = 0;
  /// Bytes received but not yet read by the application.
  unsigned long unread = 0;
};

/// Linux only: the queues of the IPv4 socket whose local port is
/// `local_port` and whose peer's port is `remote_port`, or nullopt if there
/// is no such socket (or no /proc/net/tcp).
inline std::optional<tcp_queues> tcp_socket_queues(uint16_t local_port,
                                                   uint16_t remote_port) {
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line); // header
  auto port_of = [](const std::string& addr) {
    auto colon = addr.find(':');
    return colon == std::string::npos
             ? 0ul
             : std::stoul(addr.substr(colon + 1), nullptr, 16);
  };
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (port_of(local) != local_port || port_of(remote) != remote_port)
      continue;
    auto colon = queues.find(':');
    if (colon == std::string::npos)
      return std::nullopt;
    return tcp_queues{std::stoul(queues.substr(0, colon), nullptr, 16),
                      std::stoul(queues.substr(colon + 1), nullptr, 16)};
  }
  return std::nullopt;
}

} // namespace tenantd::test
