// Connection limits of the HTTP server against slow and greedy clients: the
// idle, header, body and write timeouts, the header limit and the cap on
// open connections, with the counters they update. The server under test
// is http::server alone, on 127.0.0.1 with an ephemeral port, answering
// every request itself (no actors); clients are real sockets
// (http_client.hpp). Timeouts are set to 1 s and fire up to a second late
// (the sweeper's period), hence the 0.9-3 s windows.

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "http/net/server.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"

namespace {

using namespace tenantd::test;
using namespace std::chrono_literals;
using bhttp::status;
using bhttp::verb;
using clock_type = std::chrono::steady_clock;
namespace http = tenantd::http;

/// Long enough to fill the socket buffers of a client that does not read.
const std::string big_body(32 << 20, 'x');

/// An http::server on 127.0.0.1 (ephemeral port), run by one thread, that
/// answers "/" at once, "/slow" after 2.5 s and "/big" with 32 MiB, and
/// throws on "/throw"; it counts the requests it was handed.
class limited_server {
public:
  explicit limited_server(http::server_options options)
      : server_(ioc_, local(std::move(options)),
                [this](http::request&& req, std::size_t,
                       const boost::asio::ip::address&,
                       http::responder done) { answer(req, std::move(done)); },
                [this] { return http::lane_pick{ioc_.get_executor(), 0}; }) {
    server_.start();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~limited_server() {
    server_.stop([] {});
    thread_.join(); // run() returns once the last connection is gone
  }

  uint16_t port() const {
    return server_.port();
  }

  const http::server_counters& counters() const {
    return server_.counters();
  }

  /// Requests handed to the handler so far.
  int handled() const {
    return handled_;
  }

private:
  static http::server_options local(http::server_options options) {
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
  }

  void answer(const http::request& req, http::responder done) {
    ++handled_;
    if (req.target() == "/throw")
      throw std::runtime_error("injected by the test");
    http::response res{status::ok, req.version()};
    res.keep_alive(req.keep_alive());
    res.body() = req.target() == "/big" ? big_body : R"({"ok":true})";
    res.prepare_payload();
    if (req.target() != "/slow")
      return done(std::move(res), nullptr);
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, 2500ms);
    timer->async_wait([timer, res, done](boost::system::error_code) {
      done(res, nullptr);
    });
  }

  std::atomic<int> handled_{0};
  boost::asio::io_context ioc_{1};
  http::server server_;
  std::thread thread_;
};


std::string header(const http_response& res, bhttp::field name) {
  return std::string{res[name]};
}

/// Options whose timeouts are all 30 s, far beyond any test.
http::server_options long_timeouts() {
  http::server_options options;
  options.idle_timeout = 30s;
  options.header_timeout = 30s;
  options.body_timeout = 30s;
  options.write_timeout = 30s;
  return options;
}

/// A client that sends bytes slowly, one at a time, and notices at once
/// when the server closes (http_client gives up its connection when a read
/// times out, so it cannot wait between bytes).
class dripping_client {
public:
  explicit dripping_client(uint16_t port) : socket_(ioc_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  void write(std::string_view bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes));
  }

  /// Sends `bytes` one every 300 ms, cycling, until the server closes the
  /// connection or `limit` passes; returns how long that took.
  clock_type::duration drip_until_closed(const std::string& bytes,
                                         clock_type::duration limit = 5s) {
    auto start = clock_type::now();
    for (std::size_t i = 0; clock_type::now() - start < limit; ++i) {
      beast::error_code ec;
      boost::asio::write(socket_, boost::asio::buffer(&bytes[i % bytes.size()], 1),
                         ec);
      if (ec || closed_within(300ms))
        break;
    }
    return clock_type::now() - start;
  }

private:
  // True if the server closes the connection within `wait`.
  bool closed_within(std::chrono::milliseconds wait) {
    pollfd ready{socket_.native_handle(), POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) <= 0)
      return false;
    char byte;
    return ::recv(ready.fd, &byte, 1, 0) <= 0;
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
};

// -- idle ---------------------------------------------------------------------

TEST(LimitsIdle, ANewConnectionThatNeverSendsIsClosed) {
  auto options = long_timeouts();
  options.idle_timeout = 1s;
  limited_server server{options};
  http_client silent{server.port()};
  auto start = clock_type::now();
  EXPECT_TRUE(silent.closed_by_server(5s));
  auto waited = clock_type::now() - start;
  EXPECT_GE(waited, 900ms);
  EXPECT_LE(waited, 3s);
  EXPECT_EQ(server.counters().timed_out_total, 1u);
}

TEST(LimitsIdle, AnIdleKeepAliveConnectionIsClosed) {
  auto options = long_timeouts();
  options.idle_timeout = 1s;
  limited_server server{options};
  http_client idle{server.port()};
  ASSERT_EQ(idle.get("/").result(), status::ok);
  auto start = clock_type::now();
  EXPECT_TRUE(idle.closed_by_server(5s));
  auto waited = clock_type::now() - start;
  EXPECT_GE(waited, 900ms);
  EXPECT_LE(waited, 3s);
  EXPECT_TRUE(eventually([&] { return server.counters().open_connections == 0; }));
  EXPECT_EQ(server.counters().timed_out_total, 1u);
}

TEST(LimitsIdle, AClientAwaitingAnAnswerIsNotIdle) {
  auto options = long_timeouts();
  options.idle_timeout = 1s;
  limited_server server{options};
  http_client waiting{server.port()};
  // The answer takes 2.5 s; the idle timeout counts only once it is written.
  EXPECT_EQ(waiting.get("/slow").result(), status::ok);
  EXPECT_EQ(waiting.get("/").result(), status::ok);
  EXPECT_EQ(server.counters().timed_out_total, 0u);
}

// -- header -------------------------------------------------------------------

TEST(LimitsHeader, ASlowlorisIsClosedThoughItKeepsSending) {
  auto options = long_timeouts();
  options.header_timeout = 1s;
  limited_server server{options};
  dripping_client slow{server.port()};
  // A header that never ends, one byte every 300 ms.
  std::string header_bytes
    = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 'a');
  std::thread other_client([&] {
    std::this_thread::sleep_for(500ms);
    http_client other{server.port()};
    EXPECT_EQ(other.get("/").result(), status::ok);
  });
  auto took = slow.drip_until_closed(header_bytes);
  other_client.join();
  EXPECT_GE(took, 900ms);
  EXPECT_LE(took, 3s);
  EXPECT_EQ(server.counters().timed_out_total, 1u);
}

TEST(LimitsHeader, AHeaderOverTheLimitIs431) {
  auto options = long_timeouts();
  options.header_limit = 1024;
  limited_server server{options};
  // Whole header sections, request line included (the limit counts the
  // fields after it).
  auto with_header_of = [](std::size_t size) {
    auto req = make_request(verb::get, "/", {}, std::nullopt);
    auto base = wire_bytes(req).size() + std::string{"X-Pad: \r\n"}.size();
    req.set("X-Pad", std::string(size - base, 'a'));
    return wire_bytes(req);
  };
  http_client fits{server.port()};
  fits.write(with_header_of(1000));
  EXPECT_EQ(fits.read_response().result(), status::ok);
  http_client over{server.port()};
  over.try_write(with_header_of(1100)); // may fail once the server answered
  auto res = over.read_response();
  EXPECT_EQ(res.result(), status::request_header_fields_too_large);
  EXPECT_EQ(res.body(), R"({"detail":"Request header fields too large"})");
  EXPECT_TRUE(over.closed_by_server());
}

// -- body ---------------------------------------------------------------------

TEST(LimitsBody, ASlowBodyIsClosed) {
  auto options = long_timeouts();
  options.body_timeout = 1s;
  limited_server server{options};
  dripping_client slow{server.port()};
  slow.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
  auto took = slow.drip_until_closed(std::string(100, ' '));
  EXPECT_GE(took, 900ms);
  EXPECT_LE(took, 3s);
  EXPECT_EQ(server.counters().timed_out_total, 1u);
}

TEST(LimitsBody, TheBodyHasItsOwnTimeout) {
  // A body that takes longer than the header timeout, within its own.
  auto options = long_timeouts();
  options.header_timeout = 1s;
  options.body_timeout = 5s;
  limited_server server{options};
  http_client client{server.port()};
  client.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n");
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(300ms);
    client.write(" ");
  }
  EXPECT_EQ(client.read_response().result(), status::ok);
}

// -- write --------------------------------------------------------------------

TEST(LimitsWrite, AClientThatDoesNotReadIsClosed) {
  auto options = long_timeouts();
  options.write_timeout = 1s;
  limited_server server{options};
  http_client reader_that_stalls{server.port()};
  reader_that_stalls.write(wire_bytes(make_request(verb::get, "/big")));
  // It never reads: the answer fills the socket buffers and the write
  // stalls until the write timeout closes the connection.
  auto start = clock_type::now();
  EXPECT_TRUE(eventually([&] {
    auto& counters = server.counters();
    return counters.timed_out_total == 1 && counters.open_connections == 0;
  }));
  EXPECT_GE(clock_type::now() - start, 900ms);
}

// -- connection cap -----------------------------------------------------------

TEST(LimitsConnections, BeyondTheCapNewConnectionsGet503) {
  auto options = long_timeouts();
  options.max_connections = 3;
  limited_server server{options};
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<http_client>(server.port()));
    ASSERT_EQ(clients.back()->get("/").result(), status::ok);
  }

  http_client extra{server.port()};
  auto res = extra.read_response(); // answered before it sends anything
  EXPECT_EQ(res.result(), status::service_unavailable);
  EXPECT_EQ(header(res, bhttp::field::content_type), "application/json");
  EXPECT_EQ(header(res, bhttp::field::retry_after), "1");
  EXPECT_EQ(header(res, bhttp::field::connection), "close");
  EXPECT_EQ(res.body(), R"({"detail":"Too many connections"})");
  EXPECT_TRUE(extra.closed_by_server());

  // The open ones keep working.
  for (auto& c : clients)
    EXPECT_EQ(c->get("/").result(), status::ok);
  EXPECT_EQ(server.counters().accepted_total, 4u);
  EXPECT_EQ(server.counters().refused_total, 1u);
  EXPECT_TRUE(eventually([&] { return server.counters().open_connections == 3; }));

  // Below the cap again, new connections are served.
  clients.pop_back();
  EXPECT_TRUE(eventually([&] { return server.counters().open_connections == 2; }));
  http_client again{server.port()};
  EXPECT_EQ(again.get("/").result(), status::ok);
  EXPECT_EQ(server.counters().refused_total, 1u);
  EXPECT_EQ(server.counters().timed_out_total, 0u);
}

TEST(LimitsConnections, ARefusedClientThatSentItsRequestGetsThe503) {
  auto options = long_timeouts();
  options.max_connections = 1;
  limited_server server{options};
  http_client first{server.port()};
  ASSERT_EQ(first.get("/").result(), status::ok);
  for (int i = 0; i < 20; ++i) {
    http_client refused{server.port()};
    refused.try_write(wire_bytes(make_request(verb::get, "/")));
    EXPECT_EQ(refused.read_response().result(), status::service_unavailable)
      << "attempt " << i;
  }
  EXPECT_EQ(server.counters().refused_total, 20u);
}

TEST(LimitsConnections, OneAddressCannotTakeEveryConnection) {
  auto options = long_timeouts();
  options.max_connections = 10;
  options.max_connections_per_address = 3;
  limited_server server{options};
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<http_client>(server.port()));
    ASSERT_EQ(clients.back()->get("/").result(), status::ok);
  }
  http_client fourth{server.port()};
  auto res = fourth.read_response();
  EXPECT_EQ(res.result(), status::service_unavailable);
  EXPECT_EQ(header(res, bhttp::field::retry_after), "1");
  EXPECT_EQ(res.body(),
            R"({"detail":"Too many connections from this address"})");
  EXPECT_TRUE(fourth.closed_by_server());
  // Another address is served (the whole of 127/8 is loopback).
  http_client other{server.port(), 10s, "127.0.0.2"};
  EXPECT_EQ(other.get("/").result(), status::ok);
  EXPECT_EQ(server.counters().refused_per_address_total, 1u);
  EXPECT_EQ(server.counters().refused_total, 0u);
  // The address's count goes down as its connections close.
  clients.pop_back();
  EXPECT_TRUE(eventually([&] { return server.counters().open_connections == 3; }));
  http_client again{server.port()};
  EXPECT_EQ(again.get("/").result(), status::ok);
}

TEST(LimitsConnections, ZeroMeansNoCapPerAddress) {
  auto options = long_timeouts();
  options.max_connections = 10;
  options.max_connections_per_address = 0;
  limited_server server{options};
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(std::make_unique<http_client>(server.port()));
    ASSERT_EQ(clients.back()->get("/").result(), status::ok);
  }
  EXPECT_EQ(server.counters().refused_per_address_total, 0u);
}

// -- unsent answers -----------------------------------------------------------

/// `n` pipelined requests for "/big", in one write.
std::string pipelined_big(int n) {
  std::string bytes;
  for (int i = 0; i < n; ++i)
    bytes += wire_bytes(make_request(verb::get, "/big"));
  return bytes;
}

TEST(LimitsUnsent, AConnectionThatDoesNotReadIsNotReadEither) {
  auto options = long_timeouts();
  options.max_unsent_bytes_per_connection = 1 << 20;
  limited_server server{options};
  http_client stalled{server.port()};
  stalled.write(pipelined_big(4));
  // The first answer (32 MiB) fills the socket buffers and waits: the
  // three requests behind it are not read, so no answer of theirs is
  // held (without the limit, all 4 answers, 128 MiB, would wait).
  ASSERT_TRUE(eventually([&] { return server.counters().reads_paused_total == 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.handled(), 1);
  EXPECT_EQ(server.counters().unsent_bytes, big_body.size());
  // Other clients are served meanwhile.
  http_client other{server.port()};
  EXPECT_EQ(other.get("/").result(), status::ok);
  // Once it reads, the rest is read and answered, in order.
  for (int i = 0; i < 4; ++i) {
    auto res = stalled.read_response();
    ASSERT_EQ(res.result(), status::ok) << i;
    ASSERT_EQ(res.body().size(), big_body.size()) << i;
  }
  EXPECT_EQ(server.handled(), 5);
  EXPECT_TRUE(eventually([&] { return server.counters().unsent_bytes == 0; }));
}

TEST(LimitsUnsent, OverTheTotalOnlyConnectionsHoldingAnswersStopReading) {
  auto options = long_timeouts();
  options.max_unsent_bytes_per_connection = 1u << 30;
  options.max_unsent_bytes = 1 << 20;
  limited_server server{options};
  http_client stalled{server.port()};
  stalled.write(pipelined_big(4));
  ASSERT_TRUE(eventually([&] { return server.counters().reads_paused_total == 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.handled(), 1);
  // A connection that holds no answer is still read and served while the
  // total is over the limit.
  http_client other{server.port()};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(other.get("/").result(), status::ok);
  EXPECT_EQ(server.handled(), 4);
}

// -- a handler that throws --------------------------------------------------------

TEST(LimitsHandler, AThrowingHandlerGets500InItsPlaceAndTheServerGoesOn) {
  limited_server server{long_timeouts()};
  http_client client{server.port()};
  auto thrower = make_request(verb::get, "/throw", {}, std::nullopt,
                              {{"X-Request-Id", "req-throw"}});
  client.write(wire_bytes(make_request(verb::get, "/")) + wire_bytes(thrower)
               + wire_bytes(make_request(verb::get, "/")));
  EXPECT_EQ(client.read_response().result(), status::ok);
  auto failed = client.read_response();
  EXPECT_EQ(failed.result(), status::internal_server_error);
  EXPECT_EQ(failed.body(), R"({"detail":"Internal Server Error"})");
  EXPECT_EQ(header(failed, bhttp::field::content_type), "application/json");
  EXPECT_EQ(std::string{failed["X-Request-Id"]}, "req-throw");
  EXPECT_TRUE(failed.keep_alive());
  auto after = client.read_response();
  EXPECT_EQ(after.result(), status::ok);
  EXPECT_EQ(after.body(), R"({"ok":true})");
  EXPECT_EQ(server.counters().handler_failures_total, 1u);
  // The I/O thread still runs: new connections are served.
  http_client other{server.port()};
  EXPECT_EQ(other.get("/").result(), status::ok);
}

// -- lingering close ------------------------------------------------------------

TEST(LimitsLinger, AfterAnEarlyAnswerTheRestIsDiscardedForABoundedTime) {
  auto options = long_timeouts();
  options.header_limit = 1024;
  options.linger_timeout = 1s;
  limited_server server{options};
  http_client slow{server.port()};
  slow.write("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a'));
  // Answered 431 at once, and the server stops sending (the client sees
  // the end of the answer)...
  auto start = clock_type::now();
  EXPECT_EQ(slow.read_response().result(),
            status::request_header_fields_too_large);
  // ...but reads on, discarding, while the client still sends; it closes
  // at the linger timeout (writes then fail).
  beast::error_code ec;
  while (!ec && clock_type::now() - start < 5s) {
    ec = slow.try_write("a");
    std::this_thread::sleep_for(50ms);
  }
  auto took = clock_type::now() - start;
  EXPECT_TRUE(ec);
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3500ms);
  EXPECT_TRUE(eventually([&] { return server.counters().open_connections == 0; }));
}

TEST(LimitsLinger, AfterAnEarlyAnswerAtMostLingerBytesAreDiscarded) {
  auto options = long_timeouts();
  options.body_limit = 1024;
  options.linger_bytes = 64 * 1024;
  limited_server server{options};
  http_client flood{server.port()};
  // A body far larger than the linger allowance: the server stops reading
  // and closes once it has discarded linger_bytes, so the write fails.
  auto ec = flood.try_write(wire_bytes(
    make_request(verb::post, "/", std::string(64 << 20, 'x'))));
  EXPECT_TRUE(ec);
  EXPECT_TRUE(eventually([&] { return server.counters().open_connections == 0; }));
}

} // namespace
