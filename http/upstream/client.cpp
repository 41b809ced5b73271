#include "http/upstream/client.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

namespace tenantd::http::upstream {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

std::string_view to_string(failure f) {
  switch (f) {
    case failure::none: return "none";
    case failure::connect: return "connect";
    case failure::tls: return "tls";
    case failure::timeout: return "timeout";
    case failure::broken: return "broken";
    case failure::too_large: return "too_large";
    case failure::cancelled: return "cancelled";
  }
  return "unknown";
}

std::shared_ptr<ssl::context> make_tls_context(const std::string& extra_ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_default_verify_paths();
  if (!extra_ca_file.empty()) {
    boost::system::error_code ec;
    ctx->load_verify_file(extra_ca_file, ec);
    if (ec)
      throw std::runtime_error(extra_ca_file + ": cannot read CA certificates: "
                               + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  return ctx;
}

struct client::connection {
  connection(net::io_context& ioc, ssl::context* tls)
    : plain(ioc),
      secure(tls != nullptr
               ? std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, *tls)
               : nullptr) {
  }

  beast::tcp_stream& tcp() {
    return secure ? beast::get_lowest_layer(*secure) : plain;
  }

  /// Runs `f` with the stream requests go on: TLS or plain.
  template <class F>
  void with_stream(F f) {
    if (secure)
      f(*secure);
    else
      f(plain);
  }

  beast::tcp_stream plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  clock_type::time_point idle_since;
};

// One call: a connection (pooled or new), the request, the answer.
struct client::exchange : std::enable_shared_from_this<exchange> {
  exchange(client& owner, call c, std::function<void(answer)> done)
    : owner(&owner), alive(owner.alive_), ioc(owner.ioc_),
      tls(owner.tls_), max_answer(owner.options_.max_answer_bytes),
      user_agent(owner.options_.user_agent), c(std::move(c)),
      done(std::move(done)), resolver(ioc), resolve_timer(ioc) {
    auto now = clock_type::now();
    deadline = now + this->c.timeout;
    connect_deadline = std::min(deadline, now + this->c.connect_timeout);
    key = std::string{this->c.url.tls ? "https://" : "http://"}
          + this->c.url.host + ":" + std::to_string(this->c.url.port);
  }

  void start() {
    conn = owner->take_idle(key);
    reused = conn != nullptr;
    if (reused)
      return send();
    open();
  }

  void open() {
    if (alive.expired())
      return fail(failure::broken, "the client has stopped");
    conn = std::make_unique<connection>(ioc, c.url.tls ? tls.get() : nullptr);
    ++owner->opened_;
    // getaddrinfo runs on Asio's resolver thread; the timer bounds it.
    resolve_timer.expires_at(connect_deadline);
    resolve_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (self->cancelled)
        return;
      if (!ec)
        self->resolver.cancel();
    });
    resolver.async_resolve(
      c.url.host, std::to_string(c.url.port),
      [self = shared_from_this()](beast::error_code ec,
                                  tcp::resolver::results_type found) {
        if (self->cancelled)
          return;
        self->resolve_timer.cancel();
        if (ec == net::error::operation_aborted)
          return self->fail(failure::timeout, "resolving the host timed out");
        if (ec)
          return self->fail(failure::connect, "cannot resolve the host: "
                                                + ec.message());
        self->connect(found);
      });
  }

  void connect(const tcp::resolver::results_type& found) {
    conn->tcp().expires_at(connect_deadline);
    conn->tcp().async_connect(
      found, [self = shared_from_this()](beast::error_code ec,
                                         const tcp::endpoint&) {
        if (self->cancelled)
          return;
        if (ec == beast::error::timeout)
          return self->fail(failure::timeout, "connecting timed out");
        if (ec)
          return self->fail(failure::connect, "cannot connect: " + ec.message());
        if (self->conn->secure)
          return self->handshake();
        self->send();
      });
  }

  void handshake() {
    auto& stream = *conn->secure;
    auto& host = c.url.host;
    boost::system::error_code not_ip;
    net::ip::make_address(host, not_ip);
    // SNI names a host, never an address (RFC 6066 section 3).
    if (not_ip && SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()) != 1)
      return fail(failure::tls, "cannot set the server name");
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(host));
    stream.async_handshake(
      ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
        if (self->cancelled)
          return;
        if (ec == beast::error::timeout)
          return self->fail(failure::timeout, "the TLS handshake timed out");
        if (ec)
          return self->fail(failure::tls, "TLS handshake failed: " + ec.message());
        self->send();
      });
  }

  void send() {
    conn->tcp().expires_at(deadline);
    req = {beast_http::verb::post, c.url.path + c.path, 11};
    auto host = c.url.host.find(':') != std::string::npos
                  ? "[" + c.url.host + "]" : c.url.host;
    if (c.url.port != (c.url.tls ? 443 : 80))
      host += ":" + std::to_string(c.url.port);
    req.set(beast_http::field::host, host);
    req.set(beast_http::field::user_agent, user_agent);
    req.set(beast_http::field::content_type, "application/json");
    req.set(beast_http::field::accept,
            c.on_body ? "text/event-stream" : "application/json");
    if (!c.api_key.empty())
      req.set(beast_http::field::authorization, "Bearer " + c.api_key);
    req.keep_alive(true);
    req.body() = c.body;
    req.prepare_payload();
    conn->with_stream([&](auto& stream) {
      beast_http::async_write(
        stream, req,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (self->cancelled)
            return;
          if (ec)
            return self->broke(ec, "sending the request");
          self->read();
        });
    });
  }

  void read() {
    parser.emplace();
    parser->body_limit(max_answer);
    if (c.on_body)
      return read_head();
    read_rest();
  }

  // The end of a read of the answer: nothing once the call is cancelled,
  // too_large past a limit, a broken connection, else `next`.
  auto after_read(void (exchange::*next)()) {
    return [self = shared_from_this(), next](beast::error_code ec, std::size_t) {
      if (self->cancelled)
        return;
      if (ec == beast_http::error::body_limit
          || ec == beast_http::error::header_limit)
        return self->fail(failure::too_large, "the answer is too large");
      if (ec)
        return self->broke(ec, "reading the answer");
      ((*self).*next)();
    };
  }

  // A streamed call: the head first; a 2xx answer's body then goes to
  // on_body as it comes, any other is read whole.
  void read_head() {
    conn->with_stream([&](auto& stream) {
      beast_http::async_read_header(stream, conn->buffer, *parser,
                                    after_read(&exchange::on_head));
    });
  }

  void on_head() {
    auto code = parser->get().result_int();
    if (code < 200 || code >= 300) {
      c.on_body = nullptr;
      return read_rest();
    }
    read_piece();
  }

  // The answer (the rest of it, after a head read alone) read whole.
  void read_rest() {
    if (parser->is_done())
      return answered();
    conn->with_stream([&](auto& stream) {
      beast_http::async_read(stream, conn->buffer, *parser,
                             after_read(&exchange::answered));
    });
  }

  // Hands over what the parser has of the body, then reads more until the
  // end. Bytes already buffered are parsed before the socket is read.
  void read_piece() {
    auto& body = parser->get().body();
    if (!body.empty()) {
      auto piece = std::exchange(body, {});
      c.on_body(piece);
      if (!done) // cancelled by on_body
        return;
    }
    if (parser->is_done())
      return answered();
    conn->with_stream([&](auto& stream) {
      beast_http::async_read_some(stream, conn->buffer, *parser,
                                  after_read(&exchange::read_piece));
    });
  }

  void cancel() {
    if (!done)
      return;
    cancelled = true;
    resolver.cancel();
    resolve_timer.cancel();
    // The socket is closed but the connection kept: an operation pending
    // on it (a read into its buffer) ends later, finds the call cancelled
    // and does nothing; the connection goes with the exchange, once no
    // operation holds it.
    if (conn) {
      beast::error_code ignored;
      conn->tcp().socket().close(ignored);
    }
    answer a;
    a.error = failure::cancelled;
    a.detail = "cancelled";
    finish(std::move(a));
  }

  // A connection that failed: a pooled one that broke before any byte of
  // its answer had gone stale (the upstream closed it while idle), and a
  // fresh one replaces it once.
  void broke(beast::error_code ec, const char* doing) {
    if (cancelled)
      return fail(failure::cancelled, "cancelled");
    if (ec == beast::error::timeout)
      return fail(failure::timeout, "the call timed out");
    if (reused && !retried && (!parser || !parser->got_some())) {
      retried = true;
      reused = false;
      close();
      return open();
    }
    fail(failure::broken, std::string{doing} + " failed: " + ec.message());
  }

  void answered() {
    auto& res = parser->get();
    answer a;
    a.status = res.result_int();
    a.content_type = std::string{res[beast_http::field::content_type]};
    a.retry_after = std::string{res[beast_http::field::retry_after]};
    a.retry_after_ms = std::string{res["retry-after-ms"]};
    a.reused = reused;
    bool keep = res.keep_alive() && !parser->need_eof();
    a.body = std::move(res.body());
    if (keep && !alive.expired()) {
      conn->tcp().expires_never();
      owner->keep_idle(key, std::move(conn));
    } else {
      close();
    }
    finish(std::move(a));
  }

  void fail(failure why, std::string detail) {
    close();
    answer a;
    a.error = why;
    a.detail = std::move(detail);
    finish(std::move(a));
  }

  void close() {
    if (!conn)
      return;
    beast::error_code ignored;
    conn->tcp().socket().close(ignored);
    conn.reset();
  }

  void finish(answer a) {
    if (!done)
      return;
    auto then = std::move(done);
    done = nullptr;
    then(std::move(a));
  }

  client* owner;
  std::weak_ptr<bool> alive;
  net::io_context& ioc;
  std::shared_ptr<ssl::context> tls;
  std::size_t max_answer;
  std::string user_agent;
  call c;
  std::function<void(answer)> done;
  std::string key;
  clock_type::time_point deadline;
  clock_type::time_point connect_deadline;
  tcp::resolver resolver;
  net::steady_timer resolve_timer;
  std::unique_ptr<connection> conn;
  beast_http::request<beast_http::string_body> req;
  std::optional<beast_http::response_parser<beast_http::string_body>> parser;
  bool reused = false;
  bool retried = false;
  bool cancelled = false;
};

client::client(net::io_context& ioc, std::shared_ptr<ssl::context> tls,
               client_options options)
  : ioc_(ioc), tls_(std::move(tls)), options_(std::move(options)) {
}

client::~client() = default;

client::canceller client::post(call c, std::function<void(answer)> done) {
  if (c.url.tls && !tls_) {
    answer a;
    a.error = failure::tls;
    a.detail = "no TLS context";
    done(std::move(a));
    return [] {};
  }
  auto x = std::make_shared<exchange>(*this, std::move(c), std::move(done));
  x->start();
  return [weak = std::weak_ptr<exchange>(x)] {
    if (auto x = weak.lock())
      x->cancel();
  };
}

std::unique_ptr<client::connection> client::take_idle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end())
    return nullptr;
  auto& list = it->second;
  auto oldest = clock_type::now() - options_.max_idle_time;
  while (!list.empty()) {
    auto conn = std::move(list.back());
    list.pop_back();
    if (conn->idle_since >= oldest && conn->tcp().socket().is_open())
      return conn;
  }
  return nullptr;
}

void client::keep_idle(const std::string& key, std::unique_ptr<connection> conn) {
  auto& list = idle_[key];
  if (list.size() >= options_.max_idle_per_upstream)
    return;
  conn->idle_since = clock_type::now();
  list.push_back(std::move(conn));
}

std::size_t client::idle() const {
  std::size_t n = 0;
  for (auto& [key, list] : idle_)
    n += list.size();
  return n;
}

} // namespace tenantd::http::upstream
