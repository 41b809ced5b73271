#include "http/net/server.hpp"

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/net/body_stream.hpp"
#include "http/net/wire.hpp"
#include "http/request_id.hpp"
#include "http/respond.hpp"
#include "util/log.hpp"

namespace tenantd::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

// How often deadlines are checked: timeouts fire up to this much late.
constexpr std::chrono::seconds sweep_interval{1};

// A deadline readable from the sweeper's thread; 0 = none.
class deadline {
public:
  void arm(std::chrono::seconds timeout) {
    ticks_.store((clock_type::now() + timeout).time_since_epoch().count(),
                 std::memory_order_relaxed);
  }
  void disarm() {
    ticks_.store(0, std::memory_order_relaxed);
  }
  bool passed(clock_type::time_point now) const {
    auto t = ticks_.load(std::memory_order_relaxed);
    return t != 0 && t <= now.time_since_epoch().count();
  }

private:
  std::atomic<clock_type::rep> ticks_{0};
};

// The whole answer to a connection beyond a cap, serialised once: a
// refusal parses nothing and builds nothing.
std::string refusal_bytes(std::string_view detail) {
  auto res = detail_response(request_facts{11, false, false},
                             beast_http::status::service_unavailable, detail);
  res.keep_alive(false);
  res.set(beast_http::field::retry_after, "1");
  std::ostringstream out;
  out << res;
  return out.str();
}

const std::string& too_many_connections() {
  static const std::string bytes = refusal_bytes("Too many connections");
  return bytes;
}

const std::string& too_many_from_address() {
  static const std::string bytes
    = refusal_bytes("Too many connections from this address");
  return bytes;
}

// Room to read into at once.
constexpr std::size_t read_chunk = 64 * 1024;

// Whether `host` is a Host header value RFC 9110 7.2 allows: uri-host
// [":" port], the host a reg-name (RFC 3986: unreserved, pct-encoded,
// sub-delims) or an IP literal in brackets. It may go into a Location
// header (the seed's 307), so nothing else passes.
bool is_valid_host(std::string_view host) {
  if (host.empty())
    return false;
  std::string_view name = host;
  std::string_view port;
  if (host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos)
      return false;
    for (char c : host.substr(1, close - 1))
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'))
        return false;
    name = {};
    port = host.substr(close + 1);
    if (!port.empty() && port.front() != ':')
      return false;
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon);
  }
  if (!port.empty()) {
    port.remove_prefix(1);
    if (port.size() > 5)
      return false;
    for (char c : port)
      if (c < '0' || c > '9')
        return false;
  }
  constexpr std::string_view allowed = "-._~!$&'()*+,;=%";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))
        && allowed.find(c) == std::string_view::npos)
      return false;
  return true;
}

// What is wrong with a request's head, as RFC 9112 has it, before its body
// is read: the answer's status and detail.
struct head_problem {
  beast_http::status status;
  std::string_view detail;
};

std::optional<head_problem> check_head(const request& req) {
  using beast_http::field;
  using beast_http::status;
  auto hosts = req.count(field::host);
  // An HTTP/1.1 request has exactly one Host (RFC 9112 3.2); 1.0 may lack it.
  if (hosts > 1 || (hosts == 0 && req.version() >= 11))
    return head_problem{status::bad_request, "Bad request: one Host header needed"};
  if (hosts == 1 && !is_valid_host(req[field::host]))
    return head_problem{status::bad_request, "Bad request: invalid Host header"};
  // Only chunked is implemented; it must be the last coding (RFC 9112 6.1).
  if (req.count(field::transfer_encoding) > 0) {
    bool chunked_last = false;
    bool other = false;
    for (auto& f : req)
      if (f.name() == field::transfer_encoding)
        for (auto coding : beast_http::token_list{f.value()}) {
          if (chunked_last)
            return head_problem{status::bad_request,
                                "Bad request: chunked is not the last coding"};
          if (beast::iequals(coding, "chunked"))
            chunked_last = true;
          else
            other = true;
        }
    if (other)
      return head_problem{status::not_implemented,
                          "Transfer coding not implemented"};
    if (!chunked_last)
      return head_problem{status::bad_request,
                          "Bad request: chunked is not the last coding"};
  }
  return std::nullopt;
}

} // namespace

/// The live connections, for stop() and the deadline sweeper.
struct server::tracker {
  std::mutex mtx;
  std::unordered_set<connection*> live;
  /// Open connections per client address (those with any).
  std::unordered_map<net::ip::address, std::size_t> per_address;
  bool stopping = false;
  /// Called once when stopping and the last connection is gone.
  std::function<void()> on_drained;
  server_counters counters;

  void closed(connection* c, const net::ip::address& from) {
    std::function<void()> done;
    {
      std::lock_guard<std::mutex> guard{mtx};
      live.erase(c);
      auto n = per_address.find(from);
      if (n != per_address.end() && --n->second == 0)
        per_address.erase(n);
      counters.open_connections.fetch_sub(1, std::memory_order_relaxed);
      if (stopping && live.empty())
        done = std::exchange(on_drained, nullptr);
    }
    if (done)
      done();
  }
};

/// One client connection. Its handlers run one at a time on its executor
/// (see server.hpp); owned by the
/// shared_ptrs held by its pending operations and pending asks.
///
/// Timeouts: instead of a timer per read and write (each re-arm cancels and
/// re-queues a timer wait), a connection records a deadline for its pending
/// read and write, and the server's sweeper closes connections whose
/// deadline has passed. Slow or idle clients cost no thread and no timer.
/// The read deadline follows the request being read: idle until its first
/// byte, then the header deadline, then the body deadline, each armed once
/// when its phase begins, so trickling bytes does not extend it.
///
/// Memory: what a connection holds is bounded. Its read buffer holds at
/// most one read beyond the header limit, or beyond what is left of the
/// body limit, which counts every byte after the header as sent (chunk
/// lines and trailers included). Its answers wait in order; it stops
/// reading while pipeline_limit of them are pending, or while the ones not
/// yet sent exceed max_unsent_bytes_per_connection (or, with any unsent,
/// the server is over max_unsent_bytes), and reads on once they are sent.
class connection : public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket&& socket, server& owner, std::size_t lane,
             net::ip::address from)
    : socket_(std::move(socket)),
      owner_(owner),
      tracker_(owner.tracker_),
      lane_(lane),
      from_(std::move(from)) {
  }

  ~connection() {
    tracker_->counters.unsent_bytes.fetch_sub(unsent_,
                                              std::memory_order_relaxed);
    tracker_->closed(this, from_);
  }

  void start() {
    net::dispatch(socket_.get_executor(),
                  [self = shared_from_this()] { self->do_read(); });
  }

  /// Answers 503 with `bytes` (a prepared refusal) and closes without
  /// reading anything: the server, or the client's address, has its cap of
  /// connections open.
  void refuse_connection(const std::string& bytes) {
    net::dispatch(socket_.get_executor(), [self = shared_from_this(), &bytes] {
      self->write_static(bytes,
                         [](connection& c, beast::error_code) { c.close(); });
    });
  }

  /// Called by server::stop (from any thread). A request already partly
  /// received is read to its end (within its deadline) and answered.
  void drain() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->draining_ = true;
      bool mid_request = self->reading_ && self->phase_ != read_phase::idle;
      if (self->queue_.empty() && !mid_request)
        self->close();
    });
  }

  /// Called by the sweeper (from any thread).
  void close_if_overdue(clock_type::time_point now) {
    if (!overdue(now))
      return;
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      // Checked again here: the deadline may have moved meanwhile.
      if (!self->overdue(clock_type::now()))
        return;
      self->tracker_->counters.timed_out_total.fetch_add(
        1, std::memory_order_relaxed);
      self->close();
    });
  }

private:
  /// Where the request being read is; each phase has its own deadline.
  enum class read_phase { idle, header, body };

  /// An answer in the queue, in request order: empty until it comes.
  struct answer_slot {
    std::optional<response> res;
    /// Its bytes as counted in unsent_.
    std::size_t counted = 0;
    /// A streamed answer's body (res is its head), its head once written,
    /// and whether it goes as chunks (HTTP/1.1) or until the close (1.0).
    std::shared_ptr<body_stream> stream;
    bool head_sent = false;
    bool chunked = true;
  };

  const server_options& options() const {
    return owner_.options_;
  }

  bool overdue(clock_type::time_point now) const {
    return read_deadline_.passed(now) || write_deadline_.passed(now);
  }

  void do_read() {
    if (draining_ || closing_)
      return;
    parser_.emplace();
    parser_->body_limit(options().body_limit);
    parser_->header_limit(static_cast<uint32_t>(options().header_limit));
    body_bytes_ = 0;
    reading_ = true;
    if (buffer_.size() > 0) { // a pipelined request has begun already
      enter(read_phase::header);
      return parse_buffered();
    }
    enter(read_phase::idle);
    read_more();
  }

  // Reads what the socket has, then parses it. A plain socket read rather
  // than Beast's: the header deadline starts with the first byte, and the
  // bytes taken in are bounded here (see the class comment).
  void read_more() {
    auto room = read_chunk;
    if (parser_->is_header_done()) {
      // parse_buffered() has checked that some room is left.
      auto left = options().body_limit - body_bytes_ - buffer_.size();
      room = std::clamp<std::size_t>(left, 1, read_chunk);
    }
    socket_.async_read_some(
      buffer_.prepare(room),
      [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->buffer_.commit(n);
        if (ec == net::error::eof) {
          // As Beast's read has it: the end of a request cut short is a
          // partial message; the end between requests, the end of stream.
          if (self->parser_->got_some() || self->buffer_.size() > 0)
            self->parser_->put_eof(ec);
          else
            ec = beast_http::error::end_of_stream;
        }
        if (ec)
          return self->on_read(ec);
        if (self->phase_ == read_phase::idle)
          self->enter(read_phase::header);
        self->parse_buffered();
      });
  }

  // Parses the bytes read so far. A request usually arrives whole in its
  // first read: it is then handled at once, without another read.
  void parse_buffered() {
    beast::error_code ec;
    auto limit = options().body_limit;
    // Empty lines before a request line are ignored (RFC 9112 2.2).
    if (!parser_->got_some()) {
      auto data = static_cast<const char*>(buffer_.data().data());
      std::size_t blank = 0;
      while (blank < buffer_.size() && (data[blank] == '\r' || data[blank] == '\n'))
        ++blank;
      buffer_.consume(blank);
    }
    while (!parser_->is_done() && buffer_.size() > 0) {
      bool in_body = parser_->is_header_done();
      auto used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (in_body)
        body_bytes_ += used;
      if (ec || used == 0)
        break;
      if (auto problem = header_progress()) {
        reading_ = false;
        read_deadline_.disarm();
        tracker_->counters.bad_request_total.fetch_add(
          1, std::memory_order_relaxed);
        return refuse(problem->status, problem->detail);
      }
    }
    if (ec == beast_http::error::need_more)
      ec = {};
    // Every byte after the header counts against the body limit, the
    // incomplete line the parser waits on included: a chunk line or a
    // trailer cannot grow past it.
    if (!ec && parser_->is_header_done()
        && (body_bytes_ > limit
            || (!parser_->is_done() && body_bytes_ + buffer_.size() >= limit)))
      ec = beast_http::error::body_limit;
    if (ec || parser_->is_done())
      return on_read(ec);
    read_more();
  }

  // Moves to the body phase once the header is complete, unless the head
  // is refused (then the problem).
  std::optional<head_problem> header_progress() {
    if (parser_->is_header_done() && phase_ == read_phase::header) {
      if (auto problem = check_head(parser_->get()))
        return problem;
      enter(read_phase::body);
      continue_if_expected();
    }
    return std::nullopt;
  }

  void enter(read_phase phase) {
    phase_ = phase;
    arm_read_deadline();
  }

  void arm_read_deadline() {
    switch (phase_) {
    case read_phase::idle:
      // A client still waiting for answers is not idle.
      if (queue_.empty())
        read_deadline_.arm(options().idle_timeout);
      else
        read_deadline_.disarm();
      break;
    case read_phase::header:
      read_deadline_.arm(options().header_timeout);
      break;
    case read_phase::body:
      read_deadline_.arm(options().body_timeout);
      break;
    }
  }

  // Answers "Expect: 100-continue" when nothing is queued ahead of the
  // request (otherwise the interim answer would jump the queue; the client
  // then sends its body after its own short wait, as RFC 9110 allows).
  void continue_if_expected() {
    auto& req = parser_->get();
    if (!beast::iequals(req[beast_http::field::expect], "100-continue")
        || writing_ || !queue_.empty())
      return;
    static const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
    write_static(interim, [](connection& c, beast::error_code ec) {
      if (ec)
        return c.close();
      c.write_front();
    });
  }

  // Writes `bytes`, which outlive the write (prepared answers), under the
  // write deadline, then calls `then(*this, ec)`.
  template <class Then>
  void write_static(const std::string& bytes, Then then) {
    writing_ = true;
    write_deadline_.arm(options().write_timeout);
    net::async_write(socket_, net::buffer(bytes),
                     [self = shared_from_this(), then](beast::error_code ec,
                                                       std::size_t) {
                       self->writing_ = false;
                       self->write_deadline_.disarm();
                       then(*self, ec);
                     });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    read_deadline_.disarm();
    if (ec == beast_http::error::end_of_stream || ec == net::error::eof) {
      read_closed_ = true;
      // A client that closes while answers stream has gone: no one will
      // read the rest (and its stream's work stops).
      if (queue_.empty() || streaming())
        close();
      return;
    }
    auto& counters = tracker_->counters;
    if (ec == beast_http::error::body_limit) {
      counters.body_too_large_total.fetch_add(1, std::memory_order_relaxed);
      return refuse(beast_http::status::payload_too_large,
                    "Request body too large");
    }
    if (ec == beast_http::error::header_limit) {
      counters.header_too_large_total.fetch_add(1, std::memory_order_relaxed);
      // The parser takes the request line as soon as it is whole: without
      // a target, it is the request line that is over the limit.
      if (parser_->get().target().empty())
        return refuse(beast_http::status::uri_too_long, "URI Too Long");
      return refuse(beast_http::status::request_header_fields_too_large,
                    "Request header fields too large");
    }
    // A client that closed mid-request cannot read an answer: it is gone,
    // not wrong.
    if (ec == net::error::operation_aborted || ec == net::error::bad_descriptor
        || ec == net::error::connection_reset
        || ec == beast_http::error::partial_message || closing_)
      return close();
    if (ec) {
      counters.bad_request_total.fetch_add(1, std::memory_order_relaxed);
      return refuse(beast_http::status::bad_request, "Bad request");
    }
    auto req = parser_->release();
    auto seq = next_seq_++;
    queue_.emplace_back();
    handle(std::move(req), seq);
    read_on();
  }

  // Hands the request to the handler. Answers come on this connection's
  // own thread (the handler answers there, or its lane delivers the actor's
  // answer there, keeping run() going meanwhile): dispatch runs the answer
  // at once, and posts it only if it ever came from elsewhere. A handler
  // that throws gets its request answered 500 in its place in the order,
  // and the I/O thread goes on.
  void handle(request&& req, uint64_t seq) {
    request_facts facts{req.version(), req.keep_alive(),
                        req.method() == beast_http::verb::head};
    try {
      owner_.handler_(std::move(req), lane_, from_,
                      [self = shared_from_this(),
                       seq](response res, std::shared_ptr<body_stream> body) {
                        auto ex = self->socket_.get_executor();
                        net::dispatch(ex, [self, seq, res = std::move(res),
                                           body = std::move(body)]() mutable {
                          self->on_response(seq, std::move(res),
                                            std::move(body));
                        });
                      });
    } catch (const std::exception& e) {
      handler_failed(seq, facts, req, e.what());
    } catch (...) {
      handler_failed(seq, facts, req, "unknown exception");
    }
  }

  // `req` may have been moved from by the handler: its id is then lost,
  // and a new one is made.
  void handler_failed(uint64_t seq, const request_facts& facts,
                      const request& req, std::string_view what) {
    tracker_->counters.handler_failures_total.fetch_add(
      1, std::memory_order_relaxed);
    auto given = req["X-Request-Id"];
    auto id = request_id({given.data(), given.size()});
    log::error("http", "request handler failed: " + std::string{what},
               {{"request_id", id}});
    auto res = detail_response(facts, beast_http::status::internal_server_error,
                               "Internal Server Error");
    res.set("X-Request-Id", id);
    on_response(seq, std::move(res));
  }

  // Reads the next request if there is room for it (see the class
  // comment); otherwise on_write() calls again once an answer is sent.
  void read_on() {
    if (reading_ || read_closed_)
      return;
    if (may_read()) {
      paused_ = false;
      return do_read();
    }
    if (!paused_ && queue_.size() < options().pipeline_limit) {
      paused_ = true; // by unsent answers, not by the pipeline's length
      tracker_->counters.reads_paused_total.fetch_add(
        1, std::memory_order_relaxed);
    }
  }

  // Whether to read the next request now (see the class comment).
  bool may_read() const {
    if (queue_.size() >= options().pipeline_limit)
      return false;
    if (unsent_ == 0)
      return true;
    return unsent_ <= options().max_unsent_bytes_per_connection
           && tracker_->counters.unsent_bytes.load(std::memory_order_relaxed)
                <= options().max_unsent_bytes;
  }

  // Answers an unreadable request and closes after the answer, lingering.
  void refuse(beast_http::status st, std::string_view detail) {
    read_closed_ = true;
    linger_ = true;
    auto res = detail_response(request_facts{11, false, false}, st, detail);
    res.keep_alive(false);
    // The parser stops at the field over a limit: the client's id is used
    // if it came before (fields are stored whole).
    auto given = parser_->get()["X-Request-Id"];
    res.set("X-Request-Id", request_id({given.data(), given.size()}));
    queue_.emplace_back();
    fill(queue_.back(), std::move(res));
    ++next_seq_;
    write_front();
  }

  void fill(answer_slot& slot, response res) {
    slot.counted = res.body().size();
    unsent_ += slot.counted;
    tracker_->counters.unsent_bytes.fetch_add(slot.counted,
                                              std::memory_order_relaxed);
    slot.res = std::move(res);
  }

  void on_response(uint64_t seq, response res,
                   std::shared_ptr<body_stream> body = nullptr) {
    // An answer for a request already answered (500 after its handler
    // threw) is dropped, its stream closed.
    if (seq < front_seq_ || seq - front_seq_ >= queue_.size()
        || queue_[static_cast<std::size_t>(seq - front_seq_)].res
        || closing_) {
      if (body)
        body->close();
      return;
    }
    auto& slot = queue_[static_cast<std::size_t>(seq - front_seq_)];
    if (body) {
      slot.chunked = res.version() >= 11;
      res.erase(beast_http::field::content_length);
      if (slot.chunked)
        res.chunked(true);
      else
        res.keep_alive(false); // a 1.0 body ends with the connection
      body->when_ready([weak = weak_from_this()] {
        if (auto self = weak.lock())
          self->write_front();
      });
      slot.stream = std::move(body);
    }
    fill(slot, std::move(res));
    write_front();
  }

  // Writes the next piece of a streamed answer at the front: its head,
  // then what has been written into its stream as one chunk, then the
  // last chunk once it has ended. Nothing to write: the stream's wake
  // calls again.
  void write_stream_front() {
    auto& front = queue_.front();
    wire_.clear();
    if (!front.head_sent) {
      auto& res = *front.res;
      if (draining_ || read_closed_)
        res.keep_alive(false);
      wire_ = wire_bytes(res);
      front.head_sent = true;
    }
    auto bytes = front.stream->take();
    if (!bytes.empty() && front.chunked) {
      char size[20];
      auto n = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
      wire_.append(size, static_cast<std::size_t>(n));
      wire_ += bytes;
      wire_ += "\r\n";
    } else {
      wire_ += bytes;
    }
    bool last = front.stream->ended();
    if (last && front.chunked)
      wire_ += "0\r\n\r\n";
    if (wire_.empty() && !last)
      return;
    writing_ = true;
    write_deadline_.arm(options().write_timeout);
    net::async_write(
      socket_, net::buffer(wire_),
      [self = shared_from_this(), last](beast::error_code ec, std::size_t) {
        if (ec || !last) {
          self->writing_ = false;
          self->write_deadline_.disarm();
          if (ec)
            return self->close();
          return self->write_front();
        }
        self->on_write(ec);
      });
  }

  void write_front() {
    if (writing_ || closing_ || queue_.empty() || !queue_.front().res)
      return;
    if (queue_.front().stream)
      return write_stream_front();
    auto& res = *queue_.front().res;
    if (draining_ || read_closed_)
      res.keep_alive(false);
    writing_ = true;
    write_deadline_.arm(options().write_timeout);
    wire_ = wire_bytes(res);
    net::async_write(
      socket_, net::buffer(wire_),
      [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->on_write(ec);
      });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    write_deadline_.disarm();
    auto& front = queue_.front();
    bool keep_alive = front.res->keep_alive();
    unsent_ -= front.counted;
    tracker_->counters.unsent_bytes.fetch_sub(front.counted,
                                              std::memory_order_relaxed);
    queue_.pop_front();
    ++front_seq_;
    if (ec || !keep_alive)
      return linger_ && !ec ? linger_close() : close();
    if (reading_ && phase_ == read_phase::idle && queue_.empty())
      arm_read_deadline(); // nothing owed any more: idle from now
    // Resume reading if the pipeline was full or answers were waiting.
    read_on();
    if (!queue_.empty())
      write_front();
    else if (draining_ || read_closed_)
      close();
  }

  // Stops sending, then reads and discards what the client still sends
  // (its refused body) until it closes, or linger_bytes or linger_timeout
  // are reached (the sweeper closes at the read deadline).
  void linger_close() {
    if (closing_)
      return;
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    read_deadline_.arm(options().linger_timeout);
    discard(0);
  }

  void discard(std::size_t so_far) {
    buffer_.clear();
    socket_.async_read_some(
      buffer_.prepare(read_chunk),
      [self = shared_from_this(), so_far](beast::error_code ec, std::size_t n) {
        if (ec || self->closing_ || so_far + n >= self->options().linger_bytes)
          return self->close();
        self->discard(so_far + n);
      });
  }

  bool streaming() const {
    return std::any_of(queue_.begin(), queue_.end(),
                       [](const answer_slot& a) { return a.stream != nullptr; });
  }

  void close() {
    if (closing_)
      return;
    closing_ = true;
    read_deadline_.disarm();
    write_deadline_.disarm();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
    // Streams not ended stop their producers.
    for (auto& slot : queue_)
      if (slot.stream)
        slot.stream->close();
  }

  tcp::socket socket_;
  server& owner_; // used only while the server runs
  std::shared_ptr<server::tracker> tracker_;
  /// The I/O thread it runs on.
  std::size_t lane_;
  /// The client's address (per-address cap).
  net::ip::address from_;
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  /// Bytes of the request being read after its header (body limit).
  std::size_t body_bytes_ = 0;
  std::deque<answer_slot> queue_;
  /// Bytes of the answers in queue_ not yet sent (max_unsent_bytes).
  std::size_t unsent_ = 0;
  /// The bytes of the answer being written (queue_.front()).
  std::string wire_;
  uint64_t front_seq_ = 0; // sequence number of queue_.front()
  uint64_t next_seq_ = 0;  // sequence number of the next request
  deadline read_deadline_;
  deadline write_deadline_;
  read_phase phase_ = read_phase::idle;
  bool reading_ = false;
  bool writing_ = false;
  bool read_closed_ = false;
  bool draining_ = false;
  bool closing_ = false;
  /// Reading stopped for unsent answers (counted once per stop).
  bool paused_ = false;
  /// Closes lingering (after an early answer).
  bool linger_ = false;
};

server::server(net::io_context& ioc, server_options options, handler on_request,
               executor_picker pick)
  : ioc_(ioc),
    options_(std::move(options)),
    handler_(std::move(on_request)),
    pick_(std::move(pick)),
    acceptor_(net::make_strand(ioc)),
    sweep_timer_(acceptor_.get_executor()),
    tracker_(std::make_shared<tracker>()) {
  auto where = options_.host + ":" + std::to_string(options_.port);
  beast::error_code ec;
  auto address = net::ip::make_address(options_.host, ec);
  if (ec)
    throw std::runtime_error("invalid HOST '" + options_.host + "'");
  auto endpoint = tcp::endpoint{address, options_.port};
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + where + ": "
                             + ec.message());
  port_ = acceptor_.local_endpoint().port();
}

server::~server() {
  // Connections freed later must not call back into a dead server's owner.
  std::lock_guard<std::mutex> guard{tracker_->mtx};
  tracker_->on_drained = nullptr;
}

const server_counters& server::counters() const noexcept {
  return tracker_->counters;
}

void server::start() {
  net::dispatch(acceptor_.get_executor(), [this] {
    do_accept();
    sweep();
  });
}

void server::sweep() {
  sweep_timer_.expires_after(sweep_interval);
  sweep_timer_.async_wait([this](beast::error_code ec) {
    // Cancelled by stop(); or stop() ran between the timer's expiry and this
    // handler, when cancel() no longer reaches it: re-arming then would keep
    // the io_context, hence run(), alive for ever.
    if (ec || !acceptor_.is_open())
      return;
    auto now = clock_type::now();
    std::vector<std::shared_ptr<connection>> live;
    {
      std::lock_guard<std::mutex> guard{tracker_->mtx};
      for (auto* c : tracker_->live)
        if (auto p = c->weak_from_this().lock())
          live.push_back(std::move(p));
    }
    for (auto& c : live)
      c->close_if_overdue(now);
    sweep();
  });
}

void server::do_accept() {
  auto pick = pick_();
  acceptor_.async_accept(
    pick.executor,
    [this, lane = pick.lane](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open())
        return;
      if (ec) {
        // Typically EMFILE: log, and keep accepting.
        log::warning("http", "accept failed: " + ec.message());
      } else {
        beast::error_code opt_ec;
        socket.set_option(tcp::no_delay(true), opt_ec);
        auto from = socket.remote_endpoint(opt_ec).address();
        auto c = std::make_shared<connection>(std::move(socket), *this, lane,
                                              from);
        auto& counters = tracker_->counters;
        bool full = false;
        bool full_from_address = false;
        bool stopping = false;
        {
          std::lock_guard<std::mutex> guard{tracker_->mtx};
          full = tracker_->live.size() >= options_.max_connections;
          auto& from_address = tracker_->per_address[from];
          full_from_address = options_.max_connections_per_address != 0
                              && from_address
                                   >= options_.max_connections_per_address;
          ++from_address;
          tracker_->live.insert(c.get());
          counters.open_connections.fetch_add(1, std::memory_order_relaxed);
          stopping = tracker_->stopping;
        }
        counters.accepted_total.fetch_add(1, std::memory_order_relaxed);
        if (full) {
          counters.refused_total.fetch_add(1, std::memory_order_relaxed);
          c->refuse_connection(too_many_connections());
        } else if (full_from_address) {
          counters.refused_per_address_total.fetch_add(
            1, std::memory_order_relaxed);
          c->refuse_connection(too_many_from_address());
        } else {
          c->start();
        }
        // Accepted while stop() was collecting connections: drain it too.
        if (stopping)
          c->drain();
      }
      do_accept();
    });
}

void server::stop(std::function<void()> on_drained) {
  net::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    sweep_timer_.cancel();
  });
  std::vector<std::shared_ptr<connection>> live;
  {
    std::lock_guard<std::mutex> guard{tracker_->mtx};
    tracker_->stopping = true;
    tracker_->on_drained = std::move(on_drained);
    for (auto* c : tracker_->live)
      // A connection being destroyed is still in the set until its
      // destructor runs; weak_from_this() skips it.
      if (auto p = c->weak_from_this().lock())
        live.push_back(std::move(p));
    if (tracker_->live.empty() && tracker_->on_drained)
      net::post(ioc_, std::exchange(tracker_->on_drained, nullptr));
  }
  for (auto& c : live)
    c->drain();
}

} // namespace tenantd::http
