// Abusive HTTP clients for bench/abuse.sh: single-threaded, asynchronous
// (Boost.Asio), several kinds at once, each client reconnecting whenever the
// server closes its connection, for --duration seconds. Then one line per
// kind with what the server did to them:
//
//   ABUSE kind=slowloris clients=1000 connections=2000 connect_errors=0
//         closed_by_server=1000 open_at_end=1000 open_max=1000
//         closed_after_s_min=30.0 closed_after_s_p50=30.6 closed_after_s_max=31.0
//         written_kib_p50=0.1 written_kib_max=0.1 no_answer=1000
//
// Kinds (each a flag giving its number of concurrent clients):
//   --slowloris N    a request line and then one header byte every --drip-ms,
//                    never finishing the header section
//   --slow-body N    a complete header section (Content-Length 1000), then
//                    one body byte every --drip-ms
//   --oversize N     bodies of --body-bytes (10 MiB), actually streamed in
//                    64 KiB writes; the clients alternate between
//                    Content-Length (refusable from the header alone) and
//                    chunked transfer coding (the server must count);
//                    reported as kinds oversize-length and oversize-chunked
//   --big-headers N  a header section of --header-bytes (32 KiB) in 100-byte
//                    fields, then waits for the answer
// An oversize or big-headers client waits --pause-ms before reconnecting;
// slow clients reconnect at once. Connections start spread over --ramp-ms.
//
//   abuse_clients --target 127.0.0.1:8001 --slowloris 1000 --drip-ms 2000
//                 --oversize 8 --big-headers 4 --duration 35
//
// "closed_after_s" is the time from connect to the server's close (FIN or
// RST) for connections the server ended; "written_kib" what the client had
// handed to its kernel by the end of a connection (on loopback, socket
// buffers take megabytes the server never reads); status_NNN counts answers
// by status, no_answer the connections that ended without one.

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;

struct options {
  std::string host = "127.0.0.1";
  std::string port = "8001";
  int slowloris = 0;
  int slow_body = 0;
  int oversize = 0;
  int big_headers = 0;
  int drip_ms = 2000;
  std::size_t body_bytes = 10u << 20;
  std::size_t header_bytes = 32u << 10;
  int pause_ms = 100;
  int ramp_ms = 1000;
  double duration_s = 30;
};

enum class kind { slowloris, slow_body, oversize_length, oversize_chunked, big_headers };

const char* name(kind k) {
  switch (k) {
    case kind::slowloris: return "slowloris";
    case kind::slow_body: return "slow-body";
    case kind::oversize_length: return "oversize-length";
    case kind::oversize_chunked: return "oversize-chunked";
    case kind::big_headers: return "big-headers";
  }
  return "?";
}

struct stats {
  int clients = 0;
  uint64_t connections = 0;
  uint64_t connect_errors = 0;
  uint64_t closed_by_server = 0;
  uint64_t no_answer = 0;
  uint64_t open_now = 0;
  uint64_t open_max = 0;
  std::map<int, uint64_t> answers; // status -> count
  std::vector<double> closed_after_s;
  std::vector<double> written_kib;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// What all clients share.
struct context {
  net::io_context io;
  tcp::endpoint target;
  options opt;
  std::map<kind, stats> by_kind;
  bool stopping = false;
  std::string host_header;
  std::string chunk;         // 64 KiB of body
  std::string chunk_framed;  // the same as one chunk of chunked coding
  std::string drip_text;     // header fields dripped by slowloris clients
  std::string big_request;   // the big-headers request
};

/// One connection of one client; the client's next connection is a new
/// object (stale completions then find theirs finished).
class connection : public std::enable_shared_from_this<connection> {
public:
  connection(context& ctx, kind k) : ctx_(ctx), kind_(k), socket_(ctx.io), timer_(ctx.io) {
  }

  /// Connects after `delay`.
  void start(std::chrono::milliseconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && !self->ctx_.stopping)
        self->connect();
    });
  }

  /// Closes without counting it as the server's doing (end of the run).
  void abandon() {
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

private:
  stats& st() {
    return ctx_.by_kind[kind_];
  }

  void connect() {
    socket_.async_connect(ctx_.target, [self = shared_from_this()](error_code ec) {
      self->on_connect(ec);
    });
  }

  void on_connect(error_code ec) {
    if (ctx_.stopping)
      return;
    if (ec) {
      ++st().connect_errors;
      finished_ = true;
      return next(std::max(ctx_.opt.pause_ms, 100));
    }
    ++st().connections;
    opened_ = clock_type::now();
    if (++st().open_now > st().open_max)
      st().open_max = st().open_now;
    read();
    switch (kind_) {
      case kind::slowloris:
        return write("POST /chat HTTP/1.1\r\nHost: " + ctx_.host_header
                       + "\r\nContent-Type: application/json\r\n",
                     [](connection& c) { c.drip(); });
      case kind::slow_body:
        return write("POST /chat HTTP/1.1\r\nHost: " + ctx_.host_header
                       + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
                     [](connection& c) { c.drip(); });
      case kind::oversize_length:
        return write("POST /chat HTTP/1.1\r\nHost: " + ctx_.host_header
                       + "\r\nContent-Type: application/json\r\nContent-Length: "
                       + std::to_string(ctx_.opt.body_bytes) + "\r\n\r\n",
                     [](connection& c) { c.stream(); });
      case kind::oversize_chunked:
        return write("POST /chat HTTP/1.1\r\nHost: " + ctx_.host_header
                       + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                     [](connection& c) { c.stream(); });
      case kind::big_headers:
        return write(ctx_.big_request, [](connection&) {});
    }
  }

  // Writes `data` (kept alive here), then calls `then` unless finished.
  void write(std::string data, std::function<void(connection&)> then) {
    auto buf = std::make_shared<std::string>(std::move(data));
    net::async_write(socket_, net::buffer(*buf),
                     [self = shared_from_this(), buf, then = std::move(then)](error_code ec,
                                                                              std::size_t n) {
                       self->sent_ += n;
                       if (self->finished_ || self->ctx_.stopping)
                         return;
                       if (ec)
                         return self->write_failed();
                       then(*self);
                     });
  }

  // Slow clients: one byte, then wait.
  void drip() {
    timer_.expires_after(std::chrono::milliseconds(ctx_.opt.drip_ms));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->finished_ || self->ctx_.stopping)
        return;
      char byte = 'a';
      if (self->kind_ == kind::slowloris) {
        auto& text = self->ctx_.drip_text;
        byte = text[self->dripped_++ % text.size()];
      }
      self->write(std::string(1, byte), [](connection& c) { c.drip(); });
    });
  }

  // Oversize clients: 64 KiB at a time until --body-bytes are sent.
  void stream() {
    auto body_sent = streamed_ * ctx_.chunk.size();
    if (body_sent >= ctx_.opt.body_bytes) {
      if (kind_ == kind::oversize_chunked)
        write("0\r\n\r\n", [](connection&) {});
      return; // then wait for the answer
    }
    ++streamed_;
    write(kind_ == kind::oversize_chunked ? ctx_.chunk_framed : ctx_.chunk,
          [](connection& c) { c.stream(); });
  }

  // The server stopped reading (reset, or closed): what it answered may
  // still be in the receive buffer, so let the reads end the connection;
  // give up on it after 5 s.
  void write_failed() {
    timer_.expires_after(std::chrono::seconds(5));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec)
        self->finish(true);
    });
  }

  void read() {
    socket_.async_read_some(net::buffer(buf_), [self = shared_from_this()](error_code ec,
                                                                        std::size_t n) {
      if (self->finished_ || self->ctx_.stopping)
        return;
      if (self->answer_.size() < 4096)
        self->answer_.append(self->buf_.data(), std::min(n, 4096 - self->answer_.size()));
      if (ec)
        return self->finish(true);
      self->read();
    });
  }

  // The server ended the connection (or never answered after a failed write).
  void finish(bool by_server) {
    if (finished_)
      return;
    finished_ = true;
    --st().open_now;
    if (by_server) {
      ++st().closed_by_server;
      st().closed_after_s.push_back(seconds_since(opened_));
    }
    st().written_kib.push_back(static_cast<double>(sent_) / 1024.0);
    int status = 0;
    if (answer_.size() >= 12 && answer_.compare(0, 5, "HTTP/") == 0)
      status = std::atoi(answer_.c_str() + 9);
    if (status > 0)
      ++st().answers[status];
    else
      ++st().no_answer;
    abandon();
    bool slow = kind_ == kind::slowloris || kind_ == kind::slow_body;
    next(slow ? 0 : ctx_.opt.pause_ms);
  }

  void next(int delay_ms);

  context& ctx_;
  kind kind_;
  tcp::socket socket_;
  net::steady_timer timer_;
  clock_type::time_point opened_;
  std::array<char, 4096> buf_{};
  std::string answer_;
  std::size_t sent_ = 0;
  std::size_t dripped_ = 0;
  std::size_t streamed_ = 0;
  bool finished_ = false;

public:
  /// Every client's current connection, for the end of the run.
  static std::vector<std::weak_ptr<connection>>& all() {
    static std::vector<std::weak_ptr<connection>> v;
    return v;
  }
  std::size_t slot = 0;
};

void launch(context& ctx, kind k, std::size_t slot, std::chrono::milliseconds delay) {
  auto c = std::make_shared<connection>(ctx, k);
  c->slot = slot;
  connection::all()[slot] = c;
  c->start(delay);
}

void connection::next(int delay_ms) {
  if (ctx_.stopping)
    return;
  launch(ctx_, kind_, slot, std::chrono::milliseconds(delay_ms));
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "abuse_clients: %s\nusage: abuse_clients --target HOST:PORT --duration S"
               " [--slowloris N] [--slow-body N] [--drip-ms MS] [--oversize N]"
               " [--body-bytes B] [--big-headers N] [--header-bytes B] [--pause-ms MS]"
               " [--ramp-ms MS]\n",
               why);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc)
      usage(("missing value for " + arg).c_str());
    std::string v = argv[++i];
    auto num = [&] {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || d < 0)
        usage(("bad value for " + arg).c_str());
      return d;
    };
    if (arg == "--target") {
      auto colon = v.rfind(':');
      if (colon == std::string::npos)
        usage("--target is HOST:PORT");
      o.host = v.substr(0, colon);
      o.port = v.substr(colon + 1);
    } else if (arg == "--duration") {
      o.duration_s = num();
    } else if (arg == "--slowloris") {
      o.slowloris = static_cast<int>(num());
    } else if (arg == "--slow-body") {
      o.slow_body = static_cast<int>(num());
    } else if (arg == "--drip-ms") {
      o.drip_ms = static_cast<int>(num());
    } else if (arg == "--oversize") {
      o.oversize = static_cast<int>(num());
    } else if (arg == "--body-bytes") {
      o.body_bytes = static_cast<std::size_t>(num());
    } else if (arg == "--big-headers") {
      o.big_headers = static_cast<int>(num());
    } else if (arg == "--header-bytes") {
      o.header_bytes = static_cast<std::size_t>(num());
    } else if (arg == "--pause-ms") {
      o.pause_ms = static_cast<int>(num());
    } else if (arg == "--ramp-ms") {
      o.ramp_ms = static_cast<int>(num());
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  return o;
}

// Thousands of connections need thousands of descriptors.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void report(context& ctx) {
  for (auto& [k, st] : ctx.by_kind) {
    std::printf("ABUSE kind=%s clients=%d connections=%llu connect_errors=%llu"
                " closed_by_server=%llu open_at_end=%llu open_max=%llu"
                " closed_after_s_min=%.3f closed_after_s_p50=%.3f closed_after_s_max=%.3f"
                " written_kib_p50=%.1f written_kib_max=%.1f no_answer=%llu",
                name(k), st.clients, static_cast<unsigned long long>(st.connections),
                static_cast<unsigned long long>(st.connect_errors),
                static_cast<unsigned long long>(st.closed_by_server),
                static_cast<unsigned long long>(st.open_now),
                static_cast<unsigned long long>(st.open_max),
                percentile(st.closed_after_s, 0), percentile(st.closed_after_s, 50),
                percentile(st.closed_after_s, 100), percentile(st.written_kib, 50),
                percentile(st.written_kib, 100), static_cast<unsigned long long>(st.no_answer));
    for (auto& [status, count] : st.answers)
      std::printf(" status_%d=%llu", status, static_cast<unsigned long long>(count));
    std::printf("\n");
  }
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  context ctx;
  ctx.opt = parse(argc, argv);
  auto& o = ctx.opt;
  raise_fd_limit();
  try {
    tcp::resolver resolver{ctx.io};
    ctx.target = *resolver.resolve(o.host, o.port).begin();
  } catch (const std::exception& e) {
    usage(("cannot resolve --target: " + std::string{e.what()}).c_str());
  }
  ctx.host_header = o.host + ":" + o.port;
  ctx.chunk.assign(64 * 1024, 'a');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", ctx.chunk.size());
  ctx.chunk_framed = size_line + ctx.chunk + "\r\n";
  for (int i = 0; i < 64; ++i)
    ctx.drip_text += "X-Drip-" + std::to_string(i) + ": " + std::string(40, 'd') + "\r\n";
  ctx.big_request = "GET / HTTP/1.1\r\nHost: " + ctx.host_header + "\r\n";
  for (int i = 0; ctx.big_request.size() < o.header_bytes; ++i) {
    char field[32];
    std::snprintf(field, sizeof field, "X-Pad-%05d: ", i);
    ctx.big_request += field + std::string(100 - 2 - std::strlen(field), 'p') + "\r\n";
  }
  ctx.big_request += "\r\n";

  std::vector<kind> kinds;
  auto add = [&](kind k, int n) {
    for (int i = 0; i < n; ++i)
      kinds.push_back(k);
  };
  add(kind::slowloris, o.slowloris);
  add(kind::slow_body, o.slow_body);
  for (int i = 0; i < o.oversize; ++i)
    kinds.push_back(i % 2 == 0 ? kind::oversize_length : kind::oversize_chunked);
  add(kind::big_headers, o.big_headers);
  if (kinds.empty())
    usage("no clients: give --slowloris, --slow-body, --oversize or --big-headers");
  connection::all().resize(kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    ++ctx.by_kind[kinds[i]].clients;
    // Spread the starts over the ramp, interleaving the kinds.
    auto delay = std::chrono::milliseconds(static_cast<long>(
      static_cast<double>(o.ramp_ms) * static_cast<double>(i) / static_cast<double>(kinds.size())));
    launch(ctx, kinds[i], i, delay);
  }

  auto stop = [&ctx] {
    if (ctx.stopping)
      return;
    ctx.stopping = true;
    for (auto& w : connection::all())
      if (auto c = w.lock())
        c->abandon();
    ctx.io.stop();
  };
  net::steady_timer end{ctx.io};
  end.expires_after(std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(o.duration_s)));
  end.async_wait([&](error_code ec) {
    if (!ec)
      stop();
  });
  net::signal_set signals{ctx.io, SIGINT, SIGTERM};
  signals.async_wait([&](error_code ec, int) {
    if (!ec)
      stop();
  });
  ctx.io.run();
  report(ctx);
  return 0;
}
